// The C interface of the SentencePiece module (libtensorpoly_sentencepiece.so), which the
// engine loads at run time with dlopen(RTLD_LOCAL | RTLD_DEEPBIND).
//
// Why a separate module: Debian's libsentencepiece carries its own copy of protobuf-lite
// (3.14) and exports its symbols, while LibTorch loads the system's full protobuf (3.21).
// Linked into one program, the two copies' symbols interpose each other and the program
// aborts while the libraries initialise ("compiled against version 3.14.0 of the Protocol
// Buffer runtime"). Loaded with RTLD_DEEPBIND, the module and the libsentencepiece it
// brings resolve their symbols among themselves first, and RTLD_LOCAL keeps them out of
// LibTorch's way. Plain C across the boundary: no C++ exception or object crosses it.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <stddef.h>  // NOLINT(modernize-deprecated-headers): a C header

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tp_spm tp_spm;  // a loaded SentencePiece model

// The model of `path`, or NULL with a message in *error (release it with tp_spm_release).
tp_spm* tp_spm_load(const char* path, char** error);
void tp_spm_free(tp_spm* model);
// Frees what the functions below return.
void tp_spm_release(void* buffer);

int tp_spm_piece_size(const tp_spm* model);
int tp_spm_pad_id(const tp_spm* model);
int tp_spm_eos_id(const tp_spm* model);
int tp_spm_unk_id(const tp_spm* model);
int tp_spm_is_control(const tp_spm* model, int id);
// The piece of `id`, NUL-terminated, its length in *length.
char* tp_spm_id_to_piece(const tp_spm* model, int id, size_t* length);
// The ids of `text` (*count of them), or NULL with a message in *error.
int* tp_spm_encode(const tp_spm* model, const char* text, size_t text_length, size_t* count,
                   char** error);
// The text of `ids` (*length bytes, NUL-terminated), or NULL with a message in *error.
char* tp_spm_decode(const tp_spm* model, const int* ids, size_t count, size_t* length,
                    char** error);

#ifdef __cplusplus
}
#endif
