#include "io/http/file_response.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "io/http/open_file.hpp"

using namespace gp::io::http;
namespace fs = std::filesystem;

namespace {

class file_response_test : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gp_file_response_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    std::ofstream{dir_ / "a.bin", std::ios::binary} << std::string(1000, 'x');
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::shared_ptr<const open_file> open(const std::string& name) {
    open_file::failure why;
    std::string detail;
    return open_file::open((dir_ / name).string(), why, detail);
  }

  response get(header_list headers, const std::string& method = "GET") {
    request req;
    req.method = method;
    req.headers = std::move(headers);
    return file_response(req, open("a.bin"), "image/tiff", {{"Content-Disposition", "x"}});
  }

  static std::string header(const response& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
      if (iequals(k, name))
        return v;
    return "<none>";
  }

  fs::path dir_;
};

}  // namespace

TEST_F(file_response_test, the_whole_file_with_validators) {
  auto r = get({});
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "image/tiff");
  ASSERT_TRUE(r.file);
  EXPECT_EQ(r.file->offset, 0u);
  EXPECT_EQ(r.file->length, 1000u);
  EXPECT_EQ(header(r, "Accept-Ranges"), "bytes");
  EXPECT_EQ(header(r, "ETag"), strong_etag(open("a.bin")->identity()));
  EXPECT_EQ(header(r, "Last-Modified").substr(header(r, "Last-Modified").size() - 4), " GMT");
  EXPECT_EQ(header(r, "Content-Disposition"), "x");
  EXPECT_EQ(header(r, "Content-Range"), "<none>");
}

TEST_F(file_response_test, one_range_is_a_206_with_content_range) {
  auto r = get({{"Range", "bytes=100-199"}});
  EXPECT_EQ(r.status, 206u);
  ASSERT_TRUE(r.file);
  EXPECT_EQ(r.file->offset, 100u);
  EXPECT_EQ(r.file->length, 100u);
  EXPECT_EQ(header(r, "Content-Range"), "bytes 100-199/1000");
  r = get({{"Range", "bytes=-10"}});
  EXPECT_EQ(header(r, "Content-Range"), "bytes 990-999/1000");
}

TEST_F(file_response_test, an_unsatisfiable_range_is_a_416_problem) {
  auto r = get({{"Range", "bytes=1000-"}});
  EXPECT_EQ(r.status, 416u);
  EXPECT_EQ(r.content_type, "application/problem+json");
  EXPECT_FALSE(r.file);
  EXPECT_EQ(header(r, "Content-Range"), "bytes */1000");
  EXPECT_NE(r.body.find("\"code\":\"range_not_satisfiable\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("1000 bytes"), std::string::npos) << r.body;
}

TEST_F(file_response_test, a_bad_range_is_ignored) {
  auto r = get({{"Range", "bytes=abc"}});
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.file->length, 1000u);
}

TEST_F(file_response_test, a_matching_if_none_match_is_a_304_without_body) {
  auto tag = strong_etag(open("a.bin")->identity());
  for (const auto* method : {"GET", "HEAD"}) {
    auto r = get({{"If-None-Match", tag}, {"Range", "bytes=0-1"}}, method);
    EXPECT_EQ(r.status, 304u);
    EXPECT_FALSE(r.file);
    EXPECT_TRUE(r.body.empty());
    EXPECT_TRUE(r.content_type.empty());
    EXPECT_EQ(header(r, "ETag"), tag);
  }
  EXPECT_EQ(get({{"If-None-Match", "\"older\""}}).status, 200u);
}

TEST_F(file_response_test, if_range_with_another_validator_sends_the_whole_file) {
  auto tag = strong_etag(open("a.bin")->identity());
  EXPECT_EQ(get({{"Range", "bytes=0-9"}, {"If-Range", tag}}).status, 206u);
  EXPECT_EQ(get({{"Range", "bytes=0-9"}, {"If-Range", "\"older\""}}).status, 200u);
  auto lm = header(get({}), "Last-Modified");
  EXPECT_EQ(get({{"Range", "bytes=0-9"}, {"If-Range", lm}}).status, 206u);
}

TEST_F(file_response_test, head_ignores_range) {
  auto r = get({{"Range", "bytes=0-9"}}, "HEAD");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.file->length, 1000u);
}

TEST_F(file_response_test, only_regular_files_are_opened_and_links_are_not_followed) {
  open_file::failure why;
  std::string detail;
  EXPECT_TRUE(open_file::open((dir_ / "a.bin").string(), why, detail));
  EXPECT_EQ(why, open_file::failure::none);
  EXPECT_FALSE(open_file::open((dir_ / "missing").string(), why, detail));
  EXPECT_EQ(why, open_file::failure::not_found);
  EXPECT_FALSE(open_file::open(dir_.string(), why, detail));
  EXPECT_EQ(why, open_file::failure::not_found);
  fs::create_symlink(dir_ / "a.bin", dir_ / "link.bin");
  EXPECT_FALSE(open_file::open((dir_ / "link.bin").string(), why, detail));
  EXPECT_EQ(why, open_file::failure::not_found);
  ASSERT_EQ(::mkfifo((dir_ / "fifo").c_str(), 0600), 0);
  EXPECT_FALSE(open_file::open((dir_ / "fifo").string(), why, detail));  // and does not block
  EXPECT_EQ(why, open_file::failure::not_found);
}

TEST_F(file_response_test, the_file_stays_readable_after_it_is_replaced) {
  auto f = open("a.bin");
  fs::remove(dir_ / "a.bin");
  std::ofstream{dir_ / "a.bin", std::ios::binary} << "new";
  char buf[4] = {};
  ASSERT_EQ(::pread(f->fd(), buf, 3, 997), 3);
  EXPECT_EQ(std::string(buf), "xxx");
  EXPECT_NE(strong_etag(f->identity()), strong_etag(open("a.bin")->identity()));
}
