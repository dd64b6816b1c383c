/* block.c - the block device's public functions: every request is checked
 * here, the same way for every driver, before it is dispatched. */
#include <stdlib.h>
#include <string.h>
#include <mira/driver/block.h>
#include <mira/log.h>

bool mira_block_sector_size_ok(uint64_t size)
{
    return size >= 512 && size <= 65536 && (size & (size - 1)) == 0;
}

/* The sectors [sector, sector + count) lie on a device of `sectors`
 * sectors; written so that no sum can wrap around. */
static bool on_device(uint64_t sectors, uint64_t sector, uint64_t count)
{
    return count <= sectors && sector <= sectors - count;
}

int mira_block_check(const struct mira_block_info *info, bool write,
                     uint64_t sector, const void *buf, size_t len)
{
    uint32_t ss = info->sector_size;
    if (!mira_block_sector_size_ok(ss))
        return MIRA_EINVAL;
    if (len == 0 || len % ss != 0 || (uintptr_t)buf % ss != 0)
        return MIRA_EINVAL;
    if (!on_device(info->sectors, sector, len / ss))
        return MIRA_ERANGE;
    if (write && !info->read_write)
        return MIRA_EROFS;
    return MIRA_OK;
}

int mira_block_check_discard(const struct mira_block_info *info,
                             uint64_t sector, uint64_t count)
{
    if (count == 0)
        return MIRA_EINVAL;
    if (!on_device(info->sectors, sector, count))
        return MIRA_ERANGE;
    if (!info->read_write)
        return MIRA_EROFS;
    if (!info->discard)
        return MIRA_ENOTSUP;
    return MIRA_OK;
}

static void check_device(const struct mira_block *b, const char *fn)
{
    if (b == NULL)
        mira_panic("%s: NULL block device", fn);
}

void mira_block_info(const struct mira_block *b, struct mira_block_info *info)
{
    check_device(b, "mira_block_info");
    *info = b->info;
}

int mira_block_read(struct mira_block *b, uint64_t sector, void *buf, size_t len)
{
    check_device(b, "mira_block_read");
    int err = mira_block_check(&b->info, false, sector, buf, len);
    return err < 0 ? err : b->ops->read(b, sector, buf, len);
}

int mira_block_write(struct mira_block *b, uint64_t sector, const void *buf, size_t len)
{
    check_device(b, "mira_block_write");
    int err = mira_block_check(&b->info, true, sector, buf, len);
    return err < 0 ? err : b->ops->write(b, sector, buf, len);
}

int mira_block_flush(struct mira_block *b)
{
    check_device(b, "mira_block_flush");
    return b->info.read_write ? b->ops->flush(b) : MIRA_OK;
}

int mira_block_discard(struct mira_block *b, uint64_t sector, uint64_t count)
{
    check_device(b, "mira_block_discard");
    int err = mira_block_check_discard(&b->info, sector, count);
    if (err < 0)
        return err;
    if (b->ops->discard == NULL)
        mira_panic("block driver of %s offers discard without a discard op", b->name);
    return b->ops->discard(b, sector, count);
}

/* Buffers: malloc'ed with room to align; the word just below the aligned
 * address holds what malloc returned. */
#define BLOCK_BUF_MIN_ALIGN 4096u

void *mira_block_alloc(const struct mira_block *b, size_t sectors)
{
    check_device(b, "mira_block_alloc");
    size_t align = b->info.sector_size > BLOCK_BUF_MIN_ALIGN ? b->info.sector_size
                                                               : BLOCK_BUF_MIN_ALIGN;
    size_t len = sectors * b->info.sector_size;
    if (sectors != 0 && len / sectors != b->info.sector_size)
        return NULL;
    if (len > SIZE_MAX - align - sizeof(void *))
        return NULL;
    char *raw = malloc(len + align + sizeof(void *));
    if (raw == NULL)
        return NULL;
    uintptr_t at = ((uintptr_t)raw + sizeof(void *) + align - 1) & ~(uintptr_t)(align - 1);
    ((void **)at)[-1] = raw;
    memset((void *)at, 0, len);
    return (void *)at;
}

void mira_block_free(void *buf)
{
    if (buf != NULL)
        free(((void **)buf)[-1]);
}

void mira_block_close(struct mira_block *b)
{
    check_device(b, "mira_block_close");
    b->ops->close(b);
}

const char *mira_block_name(const struct mira_block *b)
{
    return b->name;
}
