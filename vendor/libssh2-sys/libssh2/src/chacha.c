/*
 * chacha-merged.c version 20080118
 * D. J. Bernstein
 * Public domain.
 * Copyright not intended 2024.
 *
 * Source: https://github.com/openssh/openssh-portable/blob/master/chacha.c
 *
 * SPDX-License-Identifier: SAX-PD-2.0
 */

#include "libssh2_priv.h"

#include "chacha.h"

/* $OpenBSD: chacha.c,v 1.1 2013/11/21 00:45:44 djm Exp $ */

#define U8TO32_LITTLE(p)     \
    (((u32)((p)[0])      ) | \
     ((u32)((p)[1]) <<  8) | \
     ((u32)((p)[2]) << 16) | \
     ((u32)((p)[3]) << 24))

static const char sigma[17] = "expand 32-byte k";
static const char tau[17] = "expand 16-byte k";

void chacha_keysetup(struct chacha_ctx *x, const u8 *k, u32 kbits)
{
    const char *constants;

    x->input[4] = U8TO32_LITTLE(k + 0);
    x->input[5] = U8TO32_LITTLE(k + 4);
    x->input[6] = U8TO32_LITTLE(k + 8);
    x->input[7] = U8TO32_LITTLE(k + 12);
    if(kbits == 256) { /* recommended */
        k += 16;
        constants = sigma;
    }
    else
        constants = tau;  /* kbits == 128 */
    x->input[8] = U8TO32_LITTLE(k + 0);
    x->input[9] = U8TO32_LITTLE(k + 4);
    x->input[10] = U8TO32_LITTLE(k + 8);
    x->input[11] = U8TO32_LITTLE(k + 12);
    x->input[0] = U8TO32_LITTLE(constants + 0);
    x->input[1] = U8TO32_LITTLE(constants + 4);
    x->input[2] = U8TO32_LITTLE(constants + 8);
    x->input[3] = U8TO32_LITTLE(constants + 12);
}

void chacha_ivsetup(struct chacha_ctx *x, const u8 *iv, const u8 *counter)
{
    x->input[12] = counter ? U8TO32_LITTLE(counter + 0) : 0;
    x->input[13] = counter ? U8TO32_LITTLE(counter + 4) : 0;
    x->input[14] = U8TO32_LITTLE(iv + 0);
    x->input[15] = U8TO32_LITTLE(iv + 4);
}

/* netrun patch (PATCHES.md): the keystream comes from RustCrypto's chacha20
   (SIMD, netrun_chacha.rs); this portable block function cost ~4 K
   instructions per SSH packet. Same state words, same counter update. */
extern void netrun_chacha_encrypt_bytes(u32 *input, const u8 *m, u8 *c,
                                        size_t bytes);

void chacha_encrypt_bytes(struct chacha_ctx *x, const u8 *m, u8 *c,
                          size_t bytes)
{
    netrun_chacha_encrypt_bytes(x->input, m, c, bytes);
}
