#include "io/http/file_body.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

using namespace gp::io::http;
namespace fs = std::filesystem;
namespace bhttp = boost::beast::http;

namespace {

class file_body_test : public ::testing::Test {
protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() / ("gp_file_body_" + std::to_string(::getpid()));
    for (int i = 0; i < 300000; ++i)
      content_ += static_cast<char>('a' + i % 26);
    std::ofstream{path_, std::ios::binary} << content_;
  }
  void TearDown() override { fs::remove(path_); }

  file_part part(uint64_t offset, uint64_t length) {
    open_file::failure why;
    std::string detail;
    return file_part{open_file::open(path_.string(), why, detail), offset, length};
  }

  /// Everything the writer hands out, and the error it ended with.
  std::pair<std::string, boost::beast::error_code> drain(const file_part& p, size_t* pieces) {
    bhttp::response_header<> h;
    file_range_body::writer w{h, p};
    boost::beast::error_code ec;
    w.init(ec);
    EXPECT_FALSE(ec);
    std::string out;
    *pieces = 0;
    while (auto b = w.get(ec)) {
      out.append(static_cast<const char*>(b->first.data()), b->first.size());
      ++*pieces;
      EXPECT_LE(b->first.size(), 128u * 1024);
      if (!b->second)
        break;
    }
    return {out, ec};
  }

  fs::path path_;
  std::string content_;
};

}  // namespace

TEST_F(file_body_test, the_whole_file_comes_in_bounded_chunks) {
  size_t pieces = 0;
  auto [out, ec] = drain(part(0, content_.size()), &pieces);
  EXPECT_FALSE(ec);
  EXPECT_TRUE(out == content_);
  EXPECT_EQ(pieces, 3u);  // 300000 bytes in chunks of at most 128 KiB
  EXPECT_EQ(file_range_body::size(part(0, content_.size())), content_.size());
}

TEST_F(file_body_test, a_range_comes_from_its_offset) {
  size_t pieces = 0;
  auto [out, ec] = drain(part(140000, 1000), &pieces);
  EXPECT_FALSE(ec);
  EXPECT_EQ(out, content_.substr(140000, 1000));
  EXPECT_EQ(pieces, 1u);
}

TEST_F(file_body_test, an_empty_part_gives_nothing) {
  size_t pieces = 0;
  auto [out, ec] = drain(part(10, 0), &pieces);
  EXPECT_FALSE(ec);
  EXPECT_EQ(out, "");
  EXPECT_EQ(pieces, 0u);
}

TEST_F(file_body_test, a_file_that_shrank_ends_with_an_error) {
  auto p = part(0, content_.size());
  fs::resize_file(path_, 1000);
  size_t pieces = 0;
  auto [out, ec] = drain(p, &pieces);
  EXPECT_EQ(out, content_.substr(0, 1000));
  EXPECT_EQ(ec, boost::asio::error::eof);
}
