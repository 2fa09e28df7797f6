// Include QCustomPlot through this header, never <qcustomplot.h> directly.
// The project builds with QT_NO_KEYWORDS (LibTorch uses the name `slots`), but
// qcustomplot.h itself is written with Qt's keyword macros `signals` and
// `foreach`; they are defined here just for that header and removed again.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QtGlobal>

#if defined(QT_NO_KEYWORDS) && !defined(signals)
#define signals Q_SIGNALS
#define TENSORPOLY_DEFINED_SIGNALS
#endif
#if defined(QT_NO_KEYWORDS) && !defined(foreach)
#define foreach Q_FOREACH
#define TENSORPOLY_DEFINED_FOREACH
#endif

#include <qcustomplot.h>  // IWYU pragma: export

#ifdef TENSORPOLY_DEFINED_SIGNALS
#undef signals
#undef TENSORPOLY_DEFINED_SIGNALS
#endif
#ifdef TENSORPOLY_DEFINED_FOREACH
#undef foreach
#undef TENSORPOLY_DEFINED_FOREACH
#endif
