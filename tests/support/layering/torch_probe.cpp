// A source that needs LibTorch's include paths. The Layering.* tests compile it with
// the compile command of a real source of each layer (cmake/CompileProbe.cmake): it
// must compile for engine/ code and fail everywhere else.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <torch/torch.h>

int layering_probe_torch() { return static_cast<int>(torch::ones({2}).sum().item<float>()); }
