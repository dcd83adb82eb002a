/**
 * Preference-optimisation losses (LLaMA-Factory's pref_loss: DPO's sigmoid and its cDPO smoothing, hinge, IPO, ORPO,
 * SimPO, with pref_ftx's SFT term) as per-pair forward and backward from summed response log-probs.
 */
package dev.sparktune.dl4j.preference;
