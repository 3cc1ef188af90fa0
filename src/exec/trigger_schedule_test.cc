#include "exec/trigger_schedule.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

using std::chrono::milliseconds;
const TriggerSchedule::Clock::time_point kT0{};

TEST(TriggerScheduleTest, ShortTriggersKeepThePaceFromTheirStarts) {
  TriggerSchedule s(1'000);
  s.Start(kT0);
  EXPECT_FALSE(s.Due(kT0 + milliseconds(999)));
  EXPECT_EQ(s.UntilDue(kT0 + milliseconds(400)), milliseconds(600));
  ASSERT_TRUE(s.Due(kT0 + milliseconds(1'000)));
  s.TriggerStarted(kT0 + milliseconds(1'000));
  // The interval it reports runs from the start of the run (the end of no trigger) to its end.
  EXPECT_EQ(s.TriggerEnded(kT0 + milliseconds(1'000), kT0 + milliseconds(1'300)), 1'300);
  EXPECT_FALSE(s.behind());
  EXPECT_FALSE(s.Due(kT0 + milliseconds(1'999)));
  EXPECT_TRUE(s.Due(kT0 + milliseconds(2'000)));  // from its start, not its end
  s.TriggerStarted(kT0 + milliseconds(2'000));
  EXPECT_EQ(s.TriggerEnded(kT0 + milliseconds(2'000), kT0 + milliseconds(2'100)), 800);
}

TEST(TriggerScheduleTest, ATriggerOverItsIntervalStartsTheNextWhereItEnded) {
  TriggerSchedule s(1'000);
  s.Start(kT0);
  s.TriggerStarted(kT0 + milliseconds(1'000));
  EXPECT_EQ(s.TriggerEnded(kT0 + milliseconds(1'000), kT0 + milliseconds(2'500)), 2'500);
  EXPECT_TRUE(s.behind());
  EXPECT_FALSE(s.Due(kT0 + milliseconds(3'499)));
  EXPECT_TRUE(s.Due(kT0 + milliseconds(3'500)));
  // A short trigger after it: the pace is kept from starts again.
  s.TriggerStarted(kT0 + milliseconds(3'500));
  EXPECT_EQ(s.TriggerEnded(kT0 + milliseconds(3'500), kT0 + milliseconds(3'600)), 1'100);
  EXPECT_FALSE(s.behind());
  EXPECT_TRUE(s.Due(kT0 + milliseconds(4'500)));
}

TEST(TriggerScheduleTest, WithoutFallingBehindALongTriggerKeepsThePace) {
  // Available-now in group mode: its end is only seen at a trigger.
  TriggerSchedule s(1'000);
  s.Start(kT0);
  s.TriggerStarted(kT0 + milliseconds(1'000));
  s.TriggerEnded(kT0 + milliseconds(1'000), kT0 + milliseconds(2'500), /*may_fall_behind=*/false);
  EXPECT_FALSE(s.behind());
  EXPECT_TRUE(s.Due(kT0 + milliseconds(2'500)));
}

TEST(TriggerScheduleTest, AnIntervalWithoutRecordsRestartsBothIntervals) {
  TriggerSchedule s(1'000);
  s.Start(kT0);
  s.TriggerStarted(kT0 + milliseconds(1'000));
  s.TriggerEnded(kT0 + milliseconds(1'000), kT0 + milliseconds(2'500));
  ASSERT_TRUE(s.behind());
  s.Restart(kT0 + milliseconds(3'500));
  EXPECT_FALSE(s.behind());
  EXPECT_FALSE(s.Due(kT0 + milliseconds(4'499)));
  s.TriggerStarted(kT0 + milliseconds(4'500));
  EXPECT_EQ(s.TriggerEnded(kT0 + milliseconds(4'500), kT0 + milliseconds(4'600)), 1'100);
}

TEST(TriggerScheduleTest, AZeroIntervalIsAlwaysDueAndNeverBehind) {
  TriggerSchedule s(0);
  s.Start(kT0);
  EXPECT_TRUE(s.Due(kT0));
  s.TriggerStarted(kT0);
  s.TriggerEnded(kT0, kT0 + milliseconds(5'000));
  EXPECT_FALSE(s.behind());
  EXPECT_TRUE(s.Due(kT0 + milliseconds(5'000)));
}

}  // namespace
}  // namespace sluice
