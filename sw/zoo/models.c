#include "models.h"

#include <stdio.h>
#include <string.h>

/* Shapes from the models' published config.json files (hidden_size, ffn_dim /
 * intermediate_size, num_hidden_layers, num_attention_heads, vocab_size). */
static const mxf_linear opt125m_lin[] = {
    {"q_proj", 768, 768},   {"k_proj", 768, 768}, {"v_proj", 768, 768},
    {"out_proj", 768, 768}, {"fc1", 3072, 768},   {"fc2", 768, 3072},
};
static const mxf_linear opt1b3_lin[] = {
    {"q_proj", 2048, 2048},   {"k_proj", 2048, 2048}, {"v_proj", 2048, 2048},
    {"out_proj", 2048, 2048}, {"fc1", 8192, 2048},    {"fc2", 2048, 8192},
};
static const mxf_linear opt6b7_lin[] = {
    {"q_proj", 4096, 4096},   {"k_proj", 4096, 4096}, {"v_proj", 4096, 4096},
    {"out_proj", 4096, 4096}, {"fc1", 16384, 4096},   {"fc2", 4096, 16384},
};
static const mxf_linear llama2_7b_lin[] = {
    {"q_proj", 4096, 4096},     {"k_proj", 4096, 4096},     {"v_proj", 4096, 4096},
    {"o_proj", 4096, 4096},     {"gate_proj", 11008, 4096}, {"up_proj", 11008, 4096},
    {"down_proj", 4096, 11008},
};

#define OPT_PREFIX "model.decoder.layers.%d."
#define LLAMA_PREFIX "model.layers.%d."

static const mxf_model models[] = {
    {"opt-125m", "opt", 12, 768, 3072, 12, 50272, 2048, 6, opt125m_lin, OPT_PREFIX},
    {"opt-1.3b", "opt", 24, 2048, 8192, 32, 50272, 2048, 6, opt1b3_lin, OPT_PREFIX},
    {"opt-6.7b", "opt", 32, 4096, 16384, 32, 50272, 2048, 6, opt6b7_lin, OPT_PREFIX},
    {"llama-2-7b", "llama", 32, 4096, 11008, 32, 32000, 4096, 7, llama2_7b_lin, LLAMA_PREFIX},
};

int mxf_model_count(void)
{
    return (int)(sizeof models / sizeof models[0]);
}

const mxf_model *mxf_model_at(int i)
{
    return (i >= 0 && i < mxf_model_count()) ? &models[i] : NULL;
}

const mxf_model *mxf_model_find(const char *name)
{
    for (int i = 0; name && i < mxf_model_count(); i++)
        if (strcmp(models[i].name, name) == 0) return &models[i];
    return NULL;
}

void mxf_model_names(char *buf, size_t cap)
{
    size_t n = 0;
    if (cap) buf[0] = 0;
    for (int i = 0; i < mxf_model_count() && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? ", " : "", models[i].name);
}

double mxf_model_linear_macs_per_token(const mxf_model *m)
{
    double macs = 0;
    for (int i = 0; i < m->n_linear; i++)
        macs += (double)m->linear[i].out_features * m->linear[i].in_features;
    return macs * m->n_layers;
}

/* Hugging Face module path of a linear layer inside a block. */
static const char *submodule(const mxf_model *m, const char *lin)
{
    if (!strcmp(m->family, "llama") &&
        (!strcmp(lin, "gate_proj") || !strcmp(lin, "up_proj") || !strcmp(lin, "down_proj")))
        return "mlp.";
    size_t l = strlen(lin);
    return l > 5 && !strcmp(lin + l - 5, "_proj") ? "self_attn." : "";
}

/* Linear layers fed by the same activation share one activation stream. */
static const char *act_group(const char *lin)
{
    if (!strcmp(lin, "q_proj") || !strcmp(lin, "k_proj") || !strcmp(lin, "v_proj"))
        return "attn_in";
    if (!strcmp(lin, "fc1") || !strcmp(lin, "gate_proj") || !strcmp(lin, "up_proj"))
        return "mlp_in";
    return lin;
}

void mxf_model_tensor_name(const mxf_model *m, int layer, int lin, char *buf, size_t cap)
{
    char pre[128];
    snprintf(pre, sizeof pre, m->hf_prefix, layer);
    snprintf(buf, cap, "%s%s%s.weight", pre, submodule(m, m->linear[lin].name),
             m->linear[lin].name);
}

void mxf_model_act_name(const mxf_model *m, int layer, int lin, char *buf, size_t cap)
{
    char pre[128];
    snprintf(pre, sizeof pre, m->hf_prefix, layer);
    snprintf(buf, cap, "%s%s", pre, act_group(m->linear[lin].name));
}
