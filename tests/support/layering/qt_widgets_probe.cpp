// A source that needs Qt Widgets' include paths. The Layering.* tests compile it with
// the compile command of a real source of each layer (cmake/CompileProbe.cmake): it
// must compile for ui/ code and fail for engine/ and sessions/ code.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <QWidget>

int layering_probe_qt_widgets() { return QWidget().isVisible() ? 1 : 0; }
