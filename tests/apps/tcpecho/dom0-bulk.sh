# dom0's side of the tcpecho guest in the Xen rig (its dom0_during hook):
# once the guest listens, sends it SIZE random bytes over one TCP
# connection, reads the echo back at the same time and compares their
# sha256; then asks the guest to stop (`xl shutdown`).  bash's /dev/tcp:
# the reader takes exactly SIZE bytes, and the connection ends (FIN) when
# bash exits, so the guest logs 'echoed SIZE bytes'.
SIZE=10485760
i=0
until grep -q 'listening on 5001' "$CONSOLE" 2>/dev/null; do
    i=$((i + 1))
    [ $i -gt 900 ] && { echo "the guest never listened"; xl shutdown "$DOMID"; exit 1; }
    sleep 0.1
done
head -c $SIZE /dev/urandom >/tmp/bulk.in
sent=$(sha256sum </tmp/bulk.in | cut -d' ' -f1)
t0=$(date +%s%N)
echoed=$(timeout 240 bash -c 'exec 3<>/dev/tcp/10.0.0.2/5001 || exit 1
cat /tmp/bulk.in >&3 &
head -c '$SIZE' <&3 | sha256sum | cut -d" " -f1
wait')
st=$?
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
echo "echo of $SIZE bytes: exit $st, $ms ms ($(( SIZE / 1024 * 1000 / (ms + 1) )) KiB/s)"
rc=1
if [ "$st" = 0 ] && [ "$echoed" = "$sent" ]; then
    echo "sha256 equal"; rc=0
else
    echo "sha256 differ: sent $sent, echoed $echoed"
fi
sleep 1   # the guest's 'echoed' line after our FIN
xl shutdown "$DOMID"
echo "xl shutdown: exit $?"
rm -f /tmp/bulk.in
exit $rc
