// Few-shot adaptation to the suite's held-out tasks after multi-task training, one
// protocol for every method (FewShotConfig in tensorpoly/config.h says what trains): each
// held-out task on its own, from the trained weights, on its k examples; evaluated before,
// during and after; its adapted router row reported in a "few_shot" RoutingSnapshot and
// its adapted weights checkpointed. The model goes through its normal forward pass, so
// whatever the adapters cache for a frozen part applies here as in training.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>

#include "tensorpoly/events.h"
#include "train/run_control.h"

namespace tensorpoly::train {

class Trainer;

// Adapts every held-out task of `trainer`'s suite after training step `step` (see
// FewShotConfig), reporting through `sink`; the trained weights are back in place when it
// returns. kFinished (also when few-shot adaptation is off or there is no held-out task),
// or kStopped / kDiverged with `message` saying which task and step.
RunStatus adapt_heldout_tasks(Trainer& trainer, EventSink& sink, RunControl& control, int64_t step,
                              std::string* message);

}  // namespace tensorpoly::train
