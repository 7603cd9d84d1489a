#include "io/http/ranges.hpp"

#include <gtest/gtest.h>

using namespace gp::io::http;

namespace {

using kind = range_answer::kind;

::testing::AssertionResult partial(std::string_view header, uint64_t size, uint64_t offset,
                                   uint64_t length) {
  auto a = evaluate_range(header, size);
  if (a.result != kind::partial)
    return ::testing::AssertionFailure() << "'" << header << "' is not a partial answer";
  if (a.offset != offset || a.length != length)
    return ::testing::AssertionFailure()
           << "'" << header << "' gave offset " << a.offset << " length " << a.length;
  return ::testing::AssertionSuccess();
}

kind result(std::string_view header, uint64_t size) { return evaluate_range(header, size).result; }

}  // namespace

TEST(ranges, a_closed_range_selects_its_bytes) {
  EXPECT_TRUE(partial("bytes=0-99", 1000, 0, 100));
  EXPECT_TRUE(partial("bytes=100-199", 1000, 100, 100));
  EXPECT_TRUE(partial("bytes=999-999", 1000, 999, 1));
  EXPECT_TRUE(partial("bytes=0-0", 1, 0, 1));
}

TEST(ranges, a_last_position_beyond_the_end_is_clamped) {
  EXPECT_TRUE(partial("bytes=900-5000", 1000, 900, 100));
  EXPECT_TRUE(partial("bytes=0-18446744073709551615", 1000, 0, 1000));
}

TEST(ranges, an_open_range_runs_to_the_end) {
  EXPECT_TRUE(partial("bytes=10-", 1000, 10, 990));
  EXPECT_TRUE(partial("bytes=0-", 1000, 0, 1000));
  EXPECT_TRUE(partial("bytes=999-", 1000, 999, 1));
}

TEST(ranges, a_suffix_range_selects_the_last_bytes) {
  EXPECT_TRUE(partial("bytes=-100", 1000, 900, 100));
  EXPECT_TRUE(partial("bytes=-1", 1000, 999, 1));
  // Longer than the file: the whole file.
  EXPECT_TRUE(partial("bytes=-5000", 1000, 0, 1000));
  EXPECT_TRUE(partial("bytes=-99999999999999999999999", 1000, 0, 1000));
}

TEST(ranges, a_start_at_or_beyond_the_end_is_unsatisfiable) {
  EXPECT_EQ(result("bytes=1000-", 1000), kind::unsatisfiable);
  EXPECT_EQ(result("bytes=1000-2000", 1000), kind::unsatisfiable);
  EXPECT_EQ(result("bytes=5000-6000", 1000), kind::unsatisfiable);
  // A first position too large for 64 bits is beyond any end.
  EXPECT_EQ(result("bytes=99999999999999999999999-", 1000), kind::unsatisfiable);
  EXPECT_EQ(result("bytes=18446744073709551616-18446744073709551617", 1000), kind::unsatisfiable);
}

TEST(ranges, an_empty_suffix_or_an_empty_file_is_unsatisfiable) {
  EXPECT_EQ(result("bytes=-0", 1000), kind::unsatisfiable);
  EXPECT_EQ(result("bytes=-10", 0), kind::unsatisfiable);
  EXPECT_EQ(result("bytes=0-", 0), kind::unsatisfiable);
}

TEST(ranges, bad_syntax_is_ignored_and_the_whole_file_sent) {
  for (auto h : {"", "bytes", "bytes=", "bytes=abc", "bytes=1-a", "bytes=a-1", "bytes=--5",
                 "bytes=5", "bytes=-", "bytes=1--2", "bytes=+1-2", "bytes=0x10-20", "bytes=1 -2",
                 "bytes=1.5-2", "bytes=200-100", "items=0-10", "0-10", "bytes=0-10;x",
                 "bytes=0-1,abc"})
    EXPECT_EQ(result(h, 1000), kind::full) << "'" << h << "'";
}

TEST(ranges, the_unit_is_case_insensitive_and_spaces_around_items_are_allowed) {
  EXPECT_TRUE(partial("Bytes=0-9", 1000, 0, 10));
  EXPECT_TRUE(partial(" bytes = 0-9 ", 1000, 0, 10));
  EXPECT_TRUE(partial("bytes=0-9,", 1000, 0, 10));
  EXPECT_TRUE(partial("bytes=, 5-9", 1000, 5, 5));
}

TEST(ranges, several_ranges_are_answered_whole_unless_none_is_satisfiable) {
  EXPECT_EQ(result("bytes=0-9,20-29", 1000), kind::full);
  EXPECT_EQ(result("bytes=5000-,0-9", 1000), kind::full);
  EXPECT_EQ(result("bytes=5000-,6000-7000", 1000), kind::unsatisfiable);
  EXPECT_EQ(result("bytes=0-9,20-10", 1000), kind::full);
}

TEST(ranges, content_range_values) {
  EXPECT_EQ(content_range(0, 100, 1000), "bytes 0-99/1000");
  EXPECT_EQ(content_range(999, 1, 1000), "bytes 999-999/1000");
  EXPECT_EQ(unsatisfied_range(1000), "bytes */1000");
}

TEST(ranges, the_etag_is_strong_quoted_and_changes_with_the_file) {
  file_identity a{1000, 1700000000123456789, 42};
  auto tag = strong_etag(a);
  EXPECT_EQ(tag.front(), '"');
  EXPECT_EQ(tag.back(), '"');
  EXPECT_EQ(tag.substr(0, 3), "\"3e");
  EXPECT_EQ(tag, strong_etag(a));
  auto b = a;
  b.size = 1001;
  EXPECT_NE(strong_etag(b), tag);
  b = a;
  b.mtime_ns += 1;
  EXPECT_NE(strong_etag(b), tag);
  b = a;
  b.inode = 43;
  EXPECT_NE(strong_etag(b), tag);
}

TEST(ranges, http_dates_are_imf_fixdates) {
  EXPECT_EQ(http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(http_date(1772236800), "Sat, 28 Feb 2026 00:00:00 GMT");
}

TEST(ranges, if_none_match_compares_weakly_and_accepts_lists_and_star) {
  std::string tag = "\"3e8-1-2a\"";
  EXPECT_TRUE(none_match_hits("\"3e8-1-2a\"", tag));
  EXPECT_TRUE(none_match_hits("W/\"3e8-1-2a\"", tag));
  EXPECT_TRUE(none_match_hits("\"other\", \"3e8-1-2a\"", tag));
  EXPECT_TRUE(none_match_hits(" * ", tag));
  EXPECT_FALSE(none_match_hits("\"3e8-1-2b\"", tag));
  EXPECT_FALSE(none_match_hits("3e8-1-2a", tag));
  EXPECT_FALSE(none_match_hits("\"3e8-1-2a", tag));
  EXPECT_FALSE(none_match_hits("", tag));
  EXPECT_FALSE(none_match_hits("\"a\" junk \"3e8-1-2a\"", tag));
}

TEST(ranges, if_range_needs_the_same_strong_tag_or_the_same_date) {
  std::string tag = "\"3e8-1-2a\"";
  std::string date = "Sun, 06 Nov 1994 08:49:37 GMT";
  EXPECT_TRUE(if_range_holds(tag, tag, date));
  EXPECT_TRUE(if_range_holds(date, tag, date));
  EXPECT_FALSE(if_range_holds("W/" + tag, tag, date));
  EXPECT_FALSE(if_range_holds("\"other\"", tag, date));
  EXPECT_FALSE(if_range_holds("Mon, 07 Nov 1994 08:49:37 GMT", tag, date));
  EXPECT_FALSE(if_range_holds("", tag, date));
}
