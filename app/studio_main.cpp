// tensorpoly-studio — the desktop application.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

#include "ui/main_window.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QCoreApplication::setOrganizationName(QStringLiteral("TensorPoly"));
  QCoreApplication::setApplicationName(QStringLiteral("TensorPoly Studio"));
  QCoreApplication::setApplicationVersion(QStringLiteral(TENSORPOLY_VERSION));

  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral("Train, watch and compare TensorPoly runs."));
  parser.addHelpOption();
  parser.addVersionOption();
  QCommandLineOption database_option(QStringLiteral("db"),
                                     QStringLiteral("SQLite store to open (default: %1)")
                                         .arg(tensorpoly::ui::defaultDatabasePath()),
                                     QStringLiteral("file"));
  QCommandLineOption quit_after_option(
      QStringLiteral("quit-after-ms"),
      QStringLiteral("Close the window after this many milliseconds (smoke tests)."),
      QStringLiteral("ms"));
  parser.addOption(database_option);
  parser.addOption(quit_after_option);
  parser.process(app);

  const QString database = parser.isSet(database_option) ? parser.value(database_option)
                                                         : tensorpoly::ui::defaultDatabasePath();
  tensorpoly::ui::MainWindow window(database);
  window.show();
  if (parser.isSet(quit_after_option)) {
    QTimer::singleShot(parser.value(quit_after_option).toInt(), &app, &QApplication::quit);
  }
  return app.exec();
}
