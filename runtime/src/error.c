/* error.c - names of the MIRA_E* codes. */
#include <mira/error.h>

const char *mira_strerror(int code)
{
    switch (code) {
    case MIRA_OK: return "success";
    case MIRA_EINVAL: return "invalid argument";
    case MIRA_ENOMEM: return "out of memory";
    case MIRA_EIO: return "I/O error";
    case MIRA_ERANGE: return "out of range";
    case MIRA_ENOENT: return "no such entry";
    case MIRA_EAGAIN: return "try again";
    case MIRA_ETIMEDOUT: return "timed out";
    case MIRA_ECLOSED: return "closed";
    case MIRA_EROFS: return "read-only";
    case MIRA_ENOTSUP: return "not supported";
    case MIRA_ECORRUPT: return "corrupt data";
    case MIRA_EADDRINUSE: return "address in use";
    case MIRA_ECONNREFUSED: return "connection refused";
    default: return "unknown error";
    }
}
