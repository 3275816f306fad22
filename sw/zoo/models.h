/* Built-in model zoo: real architecture shapes of the models users ask for by name.
 * Weights are never downloaded; tools pair these shapes with seeded synthetic tensors or with a
 * user-supplied safetensors file. */
#ifndef MXF_MODELS_H
#define MXF_MODELS_H

#include <stddef.h>

/* One linear layer kind inside a decoder block: y = x W^T with W of shape out x in. */
typedef struct mxf_linear {
    const char *name; /* e.g. "q_proj", "fc1" (Hugging Face naming) */
    int out_features; /* N */
    int in_features;  /* K */
} mxf_linear;

typedef struct mxf_model {
    const char *name; /* e.g. "opt-1.3b" */
    const char *family;
    int n_layers; /* decoder blocks */
    int hidden;
    int ffn;
    int n_heads;
    int vocab;
    int max_pos;
    int n_linear; /* linear layers per block */
    const mxf_linear *linear;
    const char *hf_prefix; /* tensor name prefix of block L, with %d for L */
} mxf_model;

/* Returns the model or NULL. */
const mxf_model *mxf_model_find(const char *name);
/* Number of built-in models and access by index (for listings). */
int mxf_model_count(void);
const mxf_model *mxf_model_at(int i);
/* Writes "opt-125m, opt-1.3b, ..." into buf. */
void mxf_model_names(char *buf, size_t cap);
/* Linear MACs for one token through all decoder blocks. */
double mxf_model_linear_macs_per_token(const mxf_model *m);
/* Tensor name of linear `lin` of block `layer` (e.g. "model.decoder.layers.3.fc1.weight"), the name
 * mxquant and mxfsim give its synthetic weights. */
void mxf_model_tensor_name(const mxf_model *m, int layer, int lin, char *buf, size_t cap);
/* Name of the activation stream feeding it (shared by q/k/v and by fc1 or gate/up). */
void mxf_model_act_name(const mxf_model *m, int layer, int lin, char *buf, size_t cap);

#endif
