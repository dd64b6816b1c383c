# Sourced by the guest initramfs' /init (busybox sh); it powers off afterwards.
echo "hello from a Linux PVH guest on Xen: $(uname -r)"
