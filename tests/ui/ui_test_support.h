// Shared by the view tests of test_ui: one offscreen QApplication for the whole
// executable (whichever test runs first creates it), temporary file names, and
// small routing builders.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <unistd.h>

#include <QApplication>
#include <QByteArray>
#include <QFile>
#include <QString>
#include <atomic>
#include <filesystem>
#include <string>

#include "tensorpoly/routing.h"

namespace tensorpoly::ui::testing {

inline void ensureApplication() {
  if (QApplication::instance() == nullptr) {
    static int argc = 1;
    static char name[] = "test_ui";
    static char* argv[] = {name, nullptr};
    new QApplication(argc, argv);  // lives until the process ends
  }
}

// A fixture's first member, so that its widgets are built after the application.
struct ApplicationGuard {
  ApplicationGuard() { ensureApplication(); }
};

// A fresh path in the temp folder, removed first: "<tmp>/tensorpoly-ui-<pid>-<n>-<name>".
inline QString tempPath(const std::string& name) {
  static std::atomic<int> counter{0};
  const auto path =
      std::filesystem::temp_directory_path() / ("tensorpoly-ui-" + std::to_string(::getpid()) +
                                                "-" + std::to_string(counter++) + "-" + name);
  std::filesystem::remove(path);
  return QString::fromStdString(path.string());
}

inline QByteArray readAll(const QString& path) {
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) return {};
  return file.readAll();
}

// A [tasks, skills] routing matrix from a row-major list.
inline RoutingMatrix skillsMatrix(const std::string& layer, int64_t tasks, int64_t skills,
                                  std::vector<float> values) {
  RoutingMatrix matrix;
  matrix.layer = layer;
  matrix.kind = RoutingKind::kSkills;
  matrix.shape = {tasks, skills};
  matrix.values = std::move(values);
  return matrix;
}

}  // namespace tensorpoly::ui::testing
