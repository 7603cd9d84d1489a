#include "io/bounded_map.hpp"

#include <string>

#include <gtest/gtest.h>

using gp::io::bounded_map;

TEST(bounded_map, keeps_at_most_its_limit_and_forgets_the_oldest_first) {
  bounded_map<int> m{3};
  for (int i = 0; i < 3; ++i)
    m.put("k" + std::to_string(i), i);
  EXPECT_EQ(m.size(), 3u);
  m.put("k3", 3);
  EXPECT_EQ(m.size(), 3u);
  EXPECT_EQ(m.find("k0"), nullptr);
  ASSERT_NE(m.find("k1"), nullptr);
  EXPECT_EQ(*m.find("k3"), 3);
  for (int i = 4; i < 1000; ++i)
    m.put("k" + std::to_string(i), i);
  EXPECT_EQ(m.size(), 3u);
  EXPECT_EQ(m.find("k996"), nullptr);
  EXPECT_EQ(*m.find("k997"), 997);
}

TEST(bounded_map, replacing_an_entry_keeps_its_age_and_the_size) {
  bounded_map<std::string> m{2};
  m.put("a", "1");
  m.put("b", "2");
  EXPECT_EQ(m.put("a", "1 again"), "1 again");
  EXPECT_EQ(m.size(), 2u);
  EXPECT_EQ(*m.find("a"), "1 again");
  // "a" is still the oldest: the next new key forgets it, not "b".
  m.put("c", "3");
  EXPECT_EQ(m.find("a"), nullptr);
  EXPECT_EQ(*m.find("b"), "2");
  EXPECT_EQ(*m.find("c"), "3");
}

TEST(bounded_map, a_limit_of_zero_keeps_one) {
  bounded_map<int> m{0};
  m.put("a", 1);
  m.put("b", 2);
  EXPECT_EQ(m.size(), 1u);
  EXPECT_EQ(*m.find("b"), 2);
}
