// The GUI's side of studies and of the analysis of trained tasks: the Runs browser lists
// a study's runs together and compares them; the comparison of a study draws one mean
// curve per method with its 95 % band; the clustering leaves held-out tasks out and says
// on which step and tasks it computed its agreement; the loss plot draws a held-out
// task's few-shot curve; the form computes a matched rank.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <QCheckBox>
#include <QComboBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <cmath>

#include "studio_test_support.h"
#include "tensorpoly/statistics.h"
#include "ui/cluster_view.h"
#include "ui/comparison_curves_page.h"
#include "ui/comparison_view.h"
#include "ui/experiment_form.h"
#include "ui/loss_plot_view.h"
#include "ui/qcustomplot_include.h"
#include "ui/run_browser.h"

namespace tensorpoly::ui {
namespace {

struct StudyStore {
  QString database;
  std::vector<int64_t> poly, lora;  // by seed
  int64_t loose = 0;                // a run of no study
};

// Two methods x two seeds in study "S", recorded between runs of no study; the seeds'
// losses differ by an offset, so the mean curve and its band are known.
StudyStore recordStudy() {
  StudyStore recorded;
  recorded.database = testing::tempPath("study-views.sqlite");
  testing::FakeRun run;
  run.steps = 10;
  auto record = [&](const std::string& name, double offset) {
    run.name = name;
    run.loss_offset = offset;
    return testing::recordRun(recorded.database, run);
  };
  recorded.poly.push_back(record("S: poly seed 0", 0.0));
  recorded.loose = record("alone", 0.3);
  recorded.lora.push_back(record("S: lora seed 0", 1.0));
  recorded.poly.push_back(record("S: poly seed 1", 0.2));
  recorded.lora.push_back(record("S: lora seed 1", 1.4));
  auto store = sessions::Store::open(recorded.database.toStdString());
  for (uint64_t seed = 0; seed < 2; ++seed) {
    store.add_study_run(recorded.poly[seed], "S", "poly", seed);
    store.add_study_run(recorded.lora[seed], "S", "lora", seed);
  }
  return recorded;
}

TEST(StudyViews, BrowserListsAStudysRunsTogetherAndComparesThem) {
  testing::ensureApplication();
  const StudyStore recorded = recordStudy();
  auto store = sessions::Store::open(recorded.database.toStdString());
  RunBrowser browser;
  browser.setStore(&store);
  QTableWidget* table = browser.table();
  ASSERT_EQ(table->rowCount(), 5);
  // Newest first, but the study's four runs together, where its newest run is.
  std::vector<QString> studies;
  for (int row = 0; row < table->rowCount(); ++row)
    studies.push_back(table->item(row, RunBrowser::kStudy)->text());
  EXPECT_EQ(studies, (std::vector<QString>{"S", "S", "S", "S", ""}));
  EXPECT_EQ(browser.runAt(4).id, recorded.loose);

  browser.selectRuns({sessions::RunRef(recorded.loose)});
  EXPECT_FALSE(browser.compareStudyButton()->isEnabled());
  EXPECT_FALSE(browser.compareStudy());
  browser.selectRuns({sessions::RunRef(recorded.lora[0])});
  EXPECT_TRUE(browser.compareStudyButton()->isEnabled());
  std::vector<std::vector<sessions::RunRef>> requested;
  QObject::connect(&browser, &RunBrowser::compareRequested,
                   [&](const std::vector<sessions::RunRef>& runs) { requested.push_back(runs); });
  browser.compareStudyButton()->click();
  ASSERT_EQ(requested.size(), 1u);
  EXPECT_EQ(requested[0].size(), 4u);
  EXPECT_EQ(browser.selectedRuns().size(), 4u);
}

TEST(StudyViews, ComparisonOfAStudyDrawsMeanCurvesWithAConfidenceBand) {
  testing::ensureApplication();
  const StudyStore recorded = recordStudy();
  auto store = sessions::Store::open(recorded.database.toStdString());
  ComparisonView view;
  const std::vector<sessions::RunRef> runs = {recorded.poly[0], recorded.lora[0], recorded.poly[1],
                                              recorded.lora[1]};
  ASSERT_EQ(view.setRuns(&store, runs), QString());
  ComparisonCurvesPage* curves = view.curvesPage();
  ASSERT_TRUE(curves->meanCheck()->isEnabled());
  ASSERT_TRUE(curves->meanCheck()->isChecked());
  const auto& methods = curves->methodGraphs();
  ASSERT_EQ(methods.size(), 2u);
  EXPECT_EQ(methods[0].method, "poly");
  EXPECT_EQ(methods[0].runs, 2);
  // At step 4, the mean train loss of the seeds: offsets 0 and 0.2 on the same curve.
  const QCPGraph* mean = methods[0].mean;
  ASSERT_EQ(mean->data()->size(), 10);
  const double base = 3.0 / 2.0 + 0.1;  // 3 / sqrt(4) + the mean of 0, 0.1, 0.2 over tasks
  const auto at4 = mean->data()->at(3);
  EXPECT_DOUBLE_EQ(at4->key, 4.0);
  EXPECT_NEAR(at4->value, base + 0.1, 1e-9);
  const analysis::MeanInterval expected = analysis::mean_interval({base, base + 0.2});
  EXPECT_NEAR(methods[0].lower->data()->at(3)->value, (*expected.interval)[0], 1e-9);
  EXPECT_NEAR(methods[0].upper->data()->at(3)->value, (*expected.interval)[1], 1e-9);
  EXPECT_EQ(methods[0].upper->channelFillGraph(), methods[0].lower);

  // Per run again when switched off; and a mixed selection is not a study.
  curves->meanCheck()->setChecked(false);
  EXPECT_TRUE(curves->methodGraphs().empty());
  EXPECT_EQ(view.curvePlot()->graphCount(), 4);
  ASSERT_EQ(view.setRuns(&store, {recorded.poly[0], recorded.loose}), QString());
  EXPECT_FALSE(view.curvesPage()->meanCheck()->isEnabled());
  EXPECT_TRUE(view.curvesPage()->methodGraphs().empty());
}

// 6 training tasks in 2 families and 2 held-out tasks whose rows are uniform.
TEST(StudyViews, ClusteringLeavesHeldOutTasksOutAndSaysWhereItComputed) {
  testing::ensureApplication();
  TaskLabels tasks;
  std::vector<float> values;
  for (int task = 0; task < 8; ++task) {
    const bool heldout = task >= 6;
    const QString family = task % 2 == 0 ? QStringLiteral("shift") : QStringLiteral("upper");
    tasks.push_back({QStringLiteral("task%1").arg(task),
                     family,
                     heldout ? QStringLiteral("heldout") : QStringLiteral("train"),
                     {family, QStringLiteral("mod%1").arg(task % 3)}});
    for (int skill = 0; skill < 4; ++skill) {
      values.push_back(heldout ? 0.25f
                               : (skill / 2 == task % 2 ? 0.45f : 0.05f) + 0.01f * (task % 3));
    }
  }
  const std::vector<RoutingMatrix> routing = {
      testing::skillsMatrix("encoder.block.0.layer.0.SelfAttention.q", 8, 4, values)};
  ClusterView view;
  std::vector<std::vector<int64_t>> orders;
  QObject::connect(&view, &ClusterView::clusterOrderChanged,
                   [&](const std::vector<int64_t>& order) { orders.push_back(order); });
  view.setRouting(routing, tasks, 120);
  EXPECT_EQ(view.clusteredTasks(), (std::vector<int>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(view.clusterLabels().size(), 6u);
  EXPECT_DOUBLE_EQ(view.adjustedRandIndex(), 1.0);
  EXPECT_FALSE(std::isnan(view.agreement().spearman_p_value));
  const QString text = view.agreementText();
  EXPECT_TRUE(text.contains(QStringLiteral("Step 120"))) << text.toStdString();
  EXPECT_TRUE(text.contains(QStringLiteral("6 training tasks (2 held-out tasks left out)")))
      << text.toStdString();
  EXPECT_TRUE(text.contains(QStringLiteral("modifiers: ARI"))) << text.toStdString();
  EXPECT_TRUE(text.contains(QStringLiteral("1000 permutations"))) << text.toStdString();
  // The heatmap gets every task: the clustered ones in dendrogram order, then the rest.
  ASSERT_FALSE(orders.empty());
  const std::vector<int64_t>& order = orders.back();
  ASSERT_EQ(order.size(), 8u);
  EXPECT_EQ(order[6], 6);
  EXPECT_EQ(order[7], 7);
  EXPECT_EQ(view.pixelOf(6, 0), QPoint(-1, -1));  // not clustered, not drawn

  view.setIncludeHeldout(true);
  EXPECT_EQ(view.clusteredTasks().size(), 8u);
  EXPECT_LT(view.adjustedRandIndex(), 1.0);  // two uniform rows of two families
  EXPECT_TRUE(view.agreementText().contains(QStringLiteral("8 tasks")));
}

TEST(StudyViews, LossPlotDrawsAHeldOutTasksFewShotCurve) {
  testing::ensureApplication();
  LossPlotView view;
  LossSeriesData data;
  data.tasks = {{"a", "f"}, {"new", "f", "heldout"}};
  data.train = {{{1, 0.1, 2.0}, {2, 0.2, 1.5}}, {}};
  data.eval = {{{2, 0.2, 1.4}}, {{2, 0.3, 3.0}, {12, 0.4, 2.0}}};
  view.setSeries(data);
  const QCPGraph* trained = nullptr;
  const QCPGraph* heldout = nullptr;
  for (int i = 0; i < view.plot()->graphCount(); ++i) {
    const QCPGraph* graph = view.plot()->graph(i);
    if (graph->name() == QLatin1String("a (eval)")) trained = graph;
    if (graph->name() == QLatin1String("new (few-shot)")) heldout = graph;
  }
  ASSERT_NE(trained, nullptr);
  ASSERT_NE(heldout, nullptr);
  EXPECT_EQ(trained->lineStyle(), QCPGraph::lsNone);  // markers
  EXPECT_EQ(heldout->lineStyle(), QCPGraph::lsLine);  // a curve
  EXPECT_EQ(heldout->data()->size(), 2);
}

TEST(StudyViews, FormComputesTheMatchedRank) {
  testing::ensureApplication();
  ExperimentForm form;
  ExperimentConfig config = load_preset("lora");
  form.setConfig(config);
  auto* match = form.findChild<QComboBox*>(QStringLiteral("matchParametersCombo"));
  ASSERT_NE(match, nullptr);
  EXPECT_EQ(match->currentIndex(), 0);
  EXPECT_EQ(form.config().adapter.rank, 1);
  // The matched rank comes with the estimate, off the GUI thread: only the latest edit's
  // answer is applied and announced.
  QSignalSpy estimated(&form, &ExperimentForm::parametersEstimated);
  match->setCurrentIndex(match->findData(QStringLiteral("tensorpoly-1")));
  ASSERT_TRUE(estimated.wait(30000));
  EXPECT_EQ(form.config().adapter.match_parameters_of, "tensorpoly-1");
  EXPECT_EQ(form.config().adapter.rank, 12);  // t5-mini, 21 tasks: see LoraMatchedRank...
  EXPECT_TRUE(form.parameterText().contains(QLocale().toString(165888)))
      << form.parameterText().toStdString();
  // The preset arrives matched; back to a rank given by hand.
  form.setConfig(load_preset("lora-matched"));
  EXPECT_EQ(match->currentData().toString(), QStringLiteral("tensorpoly-1"));
  match->setCurrentIndex(0);
  EXPECT_TRUE(form.config().adapter.match_parameters_of.empty());
}

}  // namespace
}  // namespace tensorpoly::ui
