/* format.c - mira_vsnprintf, a freestanding printf subset (see format.h). */
#include <stdint.h>
#include <mira/format.h>

struct out {
    char *buf;
    size_t size;
    size_t len; /* characters produced so far, written or not */
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void pad(struct out *o, char c, int n)
{
    while (n-- > 0)
        put(o, c);
}

struct spec {
    int left, zero, plus, space;
    int width, prec; /* prec < 0: none */
};

/* Emits sign/prefix, digits, with padding per spec. */
static void emit_number(struct out *o, const struct spec *sp, const char *prefix,
                        const char *digits, int ndigits)
{
    int plen = 0;
    while (prefix[plen])
        plen++;
    int zeros = sp->prec > ndigits ? sp->prec - ndigits : 0;
    int total = plen + zeros + ndigits;
    int fill = sp->width > total ? sp->width - total : 0;
    if (!sp->left && !(sp->zero && sp->prec < 0))
        pad(o, ' ', fill);
    for (int i = 0; i < plen; i++)
        put(o, prefix[i]);
    if (!sp->left && sp->zero && sp->prec < 0)
        pad(o, '0', fill);
    pad(o, '0', zeros);
    for (int i = 0; i < ndigits; i++)
        put(o, digits[i]);
    if (sp->left)
        pad(o, ' ', fill);
}

static void fmt_unsigned(struct out *o, const struct spec *sp, uintmax_t v,
                         unsigned base, int upper, const char *prefix)
{
    char tmp[3 * sizeof(uintmax_t)];
    const char *d = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    int n = 0;
    char rev[3 * sizeof(uintmax_t)];
    if (!(v == 0 && sp->prec == 0)) {
        do {
            rev[n++] = d[v % base];
            v /= base;
        } while (v);
    }
    for (int i = 0; i < n; i++)
        tmp[i] = rev[n - 1 - i];
    emit_number(o, sp, prefix, tmp, n);
}

static void fmt_string(struct out *o, const struct spec *sp, const char *s)
{
    if (s == NULL)
        s = "(null)";
    int n = 0;
    while (s[n] && (sp->prec < 0 || n < sp->prec))
        n++;
    int fill = sp->width > n ? sp->width - n : 0;
    if (!sp->left)
        pad(o, ' ', fill);
    for (int i = 0; i < n; i++)
        put(o, s[i]);
    if (sp->left)
        pad(o, ' ', fill);
}

enum length { LEN_INT, LEN_CHAR, LEN_SHORT, LEN_LONG, LEN_LLONG, LEN_SIZE,
              LEN_MAX, LEN_PTRDIFF };

static intmax_t arg_signed(va_list *ap, enum length len)
{
    switch (len) {
    case LEN_CHAR: return (signed char)va_arg(*ap, int);
    case LEN_SHORT: return (short)va_arg(*ap, int);
    case LEN_LONG: return va_arg(*ap, long);
    case LEN_LLONG: return va_arg(*ap, long long);
    case LEN_SIZE: return (intmax_t)va_arg(*ap, size_t);
    case LEN_MAX: return va_arg(*ap, intmax_t);
    case LEN_PTRDIFF: return va_arg(*ap, ptrdiff_t);
    default: return va_arg(*ap, int);
    }
}

static uintmax_t arg_unsigned(va_list *ap, enum length len)
{
    switch (len) {
    case LEN_CHAR: return (unsigned char)va_arg(*ap, unsigned);
    case LEN_SHORT: return (unsigned short)va_arg(*ap, unsigned);
    case LEN_LONG: return va_arg(*ap, unsigned long);
    case LEN_LLONG: return va_arg(*ap, unsigned long long);
    case LEN_SIZE: return va_arg(*ap, size_t);
    case LEN_MAX: return va_arg(*ap, uintmax_t);
    case LEN_PTRDIFF: return (uintmax_t)va_arg(*ap, ptrdiff_t);
    default: return va_arg(*ap, unsigned);
    }
}

static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
    *sp = (struct spec){ .prec = -1 };
    for (;; f++) {
        if (*f == '-') sp->left = 1;
        else if (*f == '0') sp->zero = 1;
        else if (*f == '+') sp->plus = 1;
        else if (*f == ' ') sp->space = 1;
        else break;
    }
    if (*f == '*') {
        sp->width = va_arg(*ap, int);
        if (sp->width < 0) {
            sp->left = 1;
            sp->width = -sp->width;
        }
        f++;
    } else {
        while (*f >= '0' && *f <= '9')
            sp->width = sp->width * 10 + (*f++ - '0');
    }
    if (*f == '.') {
        f++;
        sp->prec = 0;
        if (*f == '*') {
            sp->prec = va_arg(*ap, int);
            f++;
        } else {
            while (*f >= '0' && *f <= '9')
                sp->prec = sp->prec * 10 + (*f++ - '0');
        }
    }
    return f;
}

static const char *parse_length(const char *f, enum length *len)
{
    *len = LEN_INT;
    if (f[0] == 'h' && f[1] == 'h') { *len = LEN_CHAR; return f + 2; }
    if (f[0] == 'l' && f[1] == 'l') { *len = LEN_LLONG; return f + 2; }
    switch (*f) {
    case 'h': *len = LEN_SHORT; return f + 1;
    case 'l': *len = LEN_LONG; return f + 1;
    case 'z': *len = LEN_SIZE; return f + 1;
    case 'j': *len = LEN_MAX; return f + 1;
    case 't': *len = LEN_PTRDIFF; return f + 1;
    default: return f;
    }
}

int mira_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap_in)
{
    struct out o = { buf, size, 0 };
    va_list ap;
    va_copy(ap, ap_in);
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            put(&o, *f);
            continue;
        }
        struct spec sp;
        enum length len;
        f = parse_spec(f + 1, &sp, &ap);
        f = parse_length(f, &len);
        switch (*f) {
        case 'd':
        case 'i': {
            intmax_t v = arg_signed(&ap, len);
            uintmax_t mag = v < 0 ? (uintmax_t)0 - (uintmax_t)v : (uintmax_t)v;
            const char *prefix = v < 0 ? "-" : sp.plus ? "+" : sp.space ? " " : "";
            fmt_unsigned(&o, &sp, mag, 10, 0, prefix);
            break;
        }
        case 'u': fmt_unsigned(&o, &sp, arg_unsigned(&ap, len), 10, 0, ""); break;
        case 'o': fmt_unsigned(&o, &sp, arg_unsigned(&ap, len), 8, 0, ""); break;
        case 'x': fmt_unsigned(&o, &sp, arg_unsigned(&ap, len), 16, 0, ""); break;
        case 'X': fmt_unsigned(&o, &sp, arg_unsigned(&ap, len), 16, 1, ""); break;
        case 'p':
            fmt_unsigned(&o, &sp, (uintptr_t)va_arg(ap, void *), 16, 0, "0x");
            break;
        case 's': fmt_string(&o, &sp, va_arg(ap, const char *)); break;
        case 'c': {
            char s[2] = { (char)va_arg(ap, int), 0 };
            sp.prec = -1;
            if (s[0] == 0) { /* a NUL character still counts as one */
                put(&o, 0);
                break;
            }
            fmt_string(&o, &sp, s);
            break;
        }
        case '%': put(&o, '%'); break;
        case '\0':
            f--; /* a lone '%' at the end: stop at the terminator */
            break;
        default: /* unsupported conversion: make the mistake visible */
            put(&o, '%');
            put(&o, '?');
            break;
        }
    }
    va_end(ap);
    if (size > 0)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return o.len > INT32_MAX ? INT32_MAX : (int)o.len;
}

int mira_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = mira_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
