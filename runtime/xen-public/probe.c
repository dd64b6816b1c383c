/* Lets the build ask the compiler where <xen/xen.h> lives. */
#include <xen/xen.h>
