// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/experiment_form.h"

#include <gtest/gtest.h>

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTest>

#include "studio_test_support.h"
#include "ui/main_window.h"
#include "ui/run_controls.h"

namespace tensorpoly::ui {
namespace {

TEST(ExperimentForm, EveryBuiltInPresetLoadsAndIsValid) {
  testing::ensureApplication();
  const QStringList names = ExperimentForm::presetNames();
  for (const char* expected : {"default", "tiny", "lora", "tlora", "poly", "mhr", "tensorpoly-1",
                               "tensorpoly-2"}) {
    EXPECT_TRUE(names.contains(QString::fromLatin1(expected))) << expected;
  }
  ExperimentForm form;
  for (const QString& name : names) {
    EXPECT_EQ(form.loadPreset(name), QString()) << name.toStdString();
    EXPECT_TRUE(form.isValid()) << name.toStdString() << ": "
                                << form.problems().join("; ").toStdString();
  }
}

TEST(ExperimentForm, AnInvalidFieldKeepsRunDisabledAndIsExplainedNextToIt) {
  testing::ensureApplication();
  MainWindow window(testing::tempPath("form.sqlite"));
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  ExperimentForm* form = window.experimentForm();
  QPushButton* run = window.runControls()->runButton();
  ASSERT_TRUE(form->isValid()) << form->problems().join("; ").toStdString();
  EXPECT_TRUE(run->isEnabled());

  // Rank 0: the config API's message appears under the rank field; Run is disabled.
  auto* rank = qobject_cast<QSpinBox*>(form->fieldWidget("adapter.rank"));
  ASSERT_NE(rank, nullptr);
  rank->setValue(0);
  EXPECT_FALSE(form->isValid());
  EXPECT_FALSE(run->isEnabled());
  QLabel* rank_error = form->errorLabel("adapter.rank");
  ASSERT_NE(rank_error, nullptr);
  EXPECT_TRUE(rank_error->isVisible());
  EXPECT_TRUE(rank_error->text().contains("rank")) << rank_error->text().toStdString();
  EXPECT_TRUE(rank_error->text().contains(">= 1")) << rank_error->text().toStdString();
  EXPECT_TRUE(form->errorFor("train.steps").isEmpty());

  // A learning rate that is not a number, and a negative one.
  auto* learning_rate = qobject_cast<QLineEdit*>(form->fieldWidget("train.adapter_learning_rate"));
  ASSERT_NE(learning_rate, nullptr);
  QTest::keyClicks(learning_rate, "x");
  EXPECT_TRUE(form->errorFor("train.adapter_learning_rate").contains("not a number"));
  learning_rate->setText("-0.5");
  EXPECT_TRUE(form->errorFor("train.adapter_learning_rate").contains(">= 0"))
      << form->errorFor("train.adapter_learning_rate").toStdString();
  learning_rate->setText("2e-3");
  EXPECT_TRUE(form->errorFor("train.adapter_learning_rate").isEmpty());
  EXPECT_FALSE(run->isEnabled());  // rank is still 0

  // An unsupported tensor order.
  auto* order = qobject_cast<QSpinBox*>(form->fieldWidget("adapter.order"));
  ASSERT_NE(order, nullptr);
  order->setValue(3);
  EXPECT_FALSE(form->errorFor("adapter.order").isEmpty() && form->errorFor("adapter.rank").isEmpty());

  rank->setValue(8);
  order->setValue(2);
  EXPECT_TRUE(form->isValid()) << form->problems().join("; ").toStdString();
  EXPECT_TRUE(run->isEnabled());
  EXPECT_FALSE(rank_error->isVisible());
  EXPECT_DOUBLE_EQ(form->config().train.adapter_learning_rate, 2e-3);
}

TEST(ExperimentForm, ParameterCountsFollowTheFields) {
  testing::ensureApplication();
  ExperimentForm form;
  ASSERT_EQ(form.loadPreset("default"), QString());
  const ParameterCounts before = form.parameters();
  EXPECT_GT(before.trainable, 0);
  EXPECT_GT(before.per_task, 0);
  EXPECT_GT(before.total, before.trainable);
  EXPECT_EQ(before.trainable, estimate_parameters(form.config()).trainable);
  auto* skills = qobject_cast<QSpinBox*>(form.fieldWidget("adapter.n_skills"));
  ASSERT_NE(skills, nullptr);
  skills->setValue(skills->value() * 2);
  const ParameterCounts after = form.parameters();
  EXPECT_GT(after.trainable, before.trainable);
  EXPECT_EQ(after.trainable, estimate_parameters(form.config()).trainable);
  EXPECT_TRUE(form.parameterText().contains(QLocale().toString(static_cast<qlonglong>(after.trainable))));
}

TEST(ExperimentForm, SavesAndLoadsConfigJson) {
  testing::ensureApplication();
  ExperimentForm form;
  ASSERT_EQ(form.loadPreset("tiny"), QString());
  auto* steps = qobject_cast<QSpinBox*>(form.fieldWidget("train.steps"));
  steps->setValue(77);
  auto* method = qobject_cast<QComboBox*>(form.fieldWidget("adapter.method"));
  method->setCurrentText("poly");
  const QString path = testing::tempPath("form-config.json");
  ASSERT_EQ(form.saveFile(path), QString());
  ExperimentForm other;
  ASSERT_EQ(other.loadFile(path), QString());
  EXPECT_EQ(other.config().train.steps, 77);
  EXPECT_EQ(other.config().adapter.method, "poly");
  EXPECT_EQ(other.configJson(), form.configJson());
  // Fields the form does not show are kept (the tiny preset has no base pre-training).
  EXPECT_EQ(other.config().base.pretrain_steps, 0);

  // A broken file is refused with its name in the message.
  const QString broken = testing::tempPath("broken.json");
  {
    QFile file(broken);
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    file.write("{\"train\": {\"steps\": -3}}");
  }
  const QString error = other.loadFile(broken);
  EXPECT_TRUE(error.contains("train.steps")) << error.toStdString();
}

}  // namespace
}  // namespace tensorpoly::ui
