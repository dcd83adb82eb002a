/**
 * AdamW over flat buffers, transformers-compatible learning-rate schedules and global-norm clipping, matched to
 * torch.optim.AdamW + transformers' schedulers + clip_grad_norm_ (scripts/goldens/model_adamw.py).
 */
package dev.sparktune.dl4j.optim;
