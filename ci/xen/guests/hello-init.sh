# Sourced by the guest initramfs' /init (busybox sh); it powers off afterwards.
echo "hello from a Linux PVH guest on Xen: $(uname -r)"
# The boot-time benchmark's reference (tests/xen/boot_split.py): the kernel's
# printk time (printk.time=1 in hello.xl) of starting /init.
t=$(dmesg | sed -n 's/^\[ *\([0-9.]*\)\] Run \/init as init process.*/\1/p' | head -n 1)
echo "linux boot-time: ${t:-unknown} s to Run /init (printk time)"
