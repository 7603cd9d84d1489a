// Text from outside made safe to store and show: valid UTF-8 kept, other bytes replaced, control
// characters turned into spaces, and a cut that never splits a character.
#include "io/utf8.hpp"

#include <gtest/gtest.h>

using gp::io::printable_text;
using gp::io::utf8_length;

TEST(Utf8, SequenceLengths) {
  EXPECT_EQ(utf8_length("a", 0), 1u);
  EXPECT_EQ(utf8_length("\xc3\xa9", 0), 2u);
  EXPECT_EQ(utf8_length("\xe2\x82\xac", 0), 3u);
  EXPECT_EQ(utf8_length("\xf0\x9f\x97\xba", 0), 4u);
  EXPECT_EQ(utf8_length("\xe9t\xe9", 0), 0u);     // Latin-1
  EXPECT_EQ(utf8_length("\xc0\xaf", 0), 0u);      // overlong
  EXPECT_EQ(utf8_length("\xed\xa0\x80", 0), 0u);  // surrogate
  EXPECT_EQ(utf8_length("\xe2\x82", 0), 0u);      // cut short
  EXPECT_EQ(utf8_length("\xf4\x90\x80\x80", 0), 0u);  // past U+10FFFF
}

TEST(Utf8, PrintableTextKeepsValidTextAsItIs) {
  EXPECT_EQ(printable_text("Service Unavailable", 200), "Service Unavailable");
  EXPECT_EQ(printable_text("Dienst nicht verf\xc3\xbc" "gbar \xe2\x82\xac", 200),
            "Dienst nicht verf\xc3\xbc" "gbar \xe2\x82\xac");
  EXPECT_EQ(printable_text("", 200), "");
}

TEST(Utf8, PrintableTextReplacesWhatCannotBeStored) {
  using namespace std::string_literals;
  // A NUL, line breaks and a tab become spaces; a Latin-1 byte and a stray continuation byte
  // become U+FFFD.
  EXPECT_EQ(printable_text("a\0b\r\nc\td"s, 200), "a b  c d");
  EXPECT_EQ(printable_text("caf\xe9 \x80!", 200), "caf\xef\xbf\xbd \xef\xbf\xbd!");
  EXPECT_EQ(printable_text("\x7f", 200), " ");
}

TEST(Utf8, PrintableTextIsCutOnACharacterBoundary) {
  // 199 ASCII bytes, then a two-byte character that would end at byte 201: it is left out.
  std::string s(199, 'x');
  s += "\xc3\xa9 and more";
  auto t = printable_text(s, 200);
  EXPECT_EQ(t, std::string(199, 'x') + "...");
  // A replacement that would not fit is left out too; what fits exactly is not cut.
  EXPECT_EQ(printable_text("ab\xff", 4), "ab...");
  EXPECT_EQ(printable_text("abcd", 4), "abcd");
  EXPECT_EQ(printable_text("abcde", 4), "abcd...");
}
