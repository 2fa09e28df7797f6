// Carrier translation unit for the precompiled <torch/torch.h> (see engine/CMakeLists.txt).
// SPDX-License-Identifier: GPL-3.0-or-later
