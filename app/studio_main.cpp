// tensorpoly-studio — the desktop application.
//   tensorpoly-studio [--db FILE] [--config FILE] [--screenshot-dir DIR]
// SPDX-License-Identifier: GPL-3.0-or-later
#include <QApplication>
#include <QCommandLineParser>
#include <QTableWidget>
#include <QTimer>
#include <cstdio>

#include "tensorpoly/runtime.h"
#include "tensorpoly/sessions/store.h"
#include "ui/main_window.h"
#include "ui/run_browser.h"

int main(int argc, char** argv) {
  tensorpoly::select_blas_kernel(argv);
  QApplication app(argc, argv);
  QCoreApplication::setOrganizationName(QStringLiteral("TensorPoly"));
  QCoreApplication::setApplicationName(QStringLiteral("TensorPoly Studio"));
  QCoreApplication::setApplicationVersion(QStringLiteral(TENSORPOLY_VERSION));

  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral("Train, watch and compare TensorPoly runs."));
  parser.addHelpOption();
  parser.addVersionOption();
  QCommandLineOption database_option(
      QStringLiteral("db"),
      QStringLiteral("SQLite store to open (default: the last one, else %1)")
          .arg(tensorpoly::ui::defaultDatabasePath()),
      QStringLiteral("file"));
  QCommandLineOption config_option(
      QStringLiteral("config"),
      QStringLiteral("Experiment config JSON for the form (default: the last "
                     "one, else the built-in default experiment)."),
      QStringLiteral("file"));
  QCommandLineOption screenshot_option(
      QStringLiteral("screenshot-dir"),
      QStringLiteral("Show the newest run (and compare the two newest), save every panel as PNG "
                     "into this folder, and quit. Ignores the saved layout."),
      QStringLiteral("dir"));
  QCommandLineOption quit_after_option(
      QStringLiteral("quit-after-ms"),
      QStringLiteral("Close the window after this many milliseconds (smoke tests)."),
      QStringLiteral("ms"));
  parser.addOption(database_option);
  parser.addOption(config_option);
  parser.addOption(screenshot_option);
  parser.addOption(quit_after_option);
  parser.process(app);

  tensorpoly::ui::MainWindowOptions options;
  options.database_path = parser.value(database_option);
  options.config_path = parser.value(config_option);
  options.use_settings = !parser.isSet(screenshot_option);
  tensorpoly::ui::MainWindow window(options);
  window.show();
  int exit_code = 0;
  if (parser.isSet(screenshot_option)) {
    const QString folder = parser.value(screenshot_option);
    QTimer::singleShot(500, &window, [&window, &exit_code, folder] {
      tensorpoly::ui::RunBrowser* browser = window.runBrowser();
      std::vector<tensorpoly::sessions::RunRef> newest;
      for (int row = 0; row < browser->table()->rowCount() && newest.size() < 2; ++row) {
        newest.push_back(browser->runAt(row));
      }
      if (newest.size() >= 2) window.compareRuns({newest[1], newest[0]});
      if (!newest.empty()) browser->selectRuns({newest.front()});
      const QString error = window.saveScreenshots(folder);
      if (!error.isEmpty()) {
        std::fprintf(stderr, "tensorpoly-studio: %s\n", error.toLocal8Bit().constData());
        exit_code = 1;
      }
      QApplication::quit();
    });
  }
  if (parser.isSet(quit_after_option)) {
    QTimer::singleShot(parser.value(quit_after_option).toInt(), &app, &QApplication::quit);
  }
  const int code = app.exec();
  return exit_code != 0 ? exit_code : code;
}
