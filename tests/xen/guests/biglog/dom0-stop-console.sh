# dom0's side of the biglog guest (its dom0_during hook): once the guest
# said "biglog: start", stops xenconsoled (SIGSTOP) so that nobody reads
# the console ring while the guest floods it, and lets it go on 20 s later.
i=0
until grep -q 'biglog: start' "$CONSOLE" 2>/dev/null; do
    i=$((i + 1))
    [ $i -gt 900 ] && { echo "the guest never started"; exit 1; }
    sleep 0.1
done
pid=$(cat /run/xen/xenconsoled.pid)
kill -STOP "$pid" && echo "xenconsoled stopped"
sleep 20
kill -CONT "$pid" && echo "xenconsoled goes on"
