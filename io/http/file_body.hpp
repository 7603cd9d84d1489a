#pragma once
// The Beast body of file responses, private to the server (io/http/server.cpp): it streams a
// file_part from its open file in bounded chunks.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>

#include "io/http/open_file.hpp"
#include "io/http/types.hpp"

namespace gp::io::http {

/// A Beast body reading `length` bytes of an open file from `offset`, one bounded chunk at a
/// time with pread (the descriptor is shared, so no file position is involved).
struct file_range_body {
  using value_type = file_part;

  static std::uint64_t size(const value_type& v) { return v.length; }

  class writer {
  public:
    using const_buffers_type = boost::asio::const_buffer;

    template <bool isRequest, class Fields>
    writer(const boost::beast::http::header<isRequest, Fields>&, const value_type& v)
      : file_(v.file), position_(v.offset), remain_(v.length) {}

    void init(boost::beast::error_code& ec) {
      buffer_ = std::make_unique<char[]>(chunk_size);
      ec = {};
    }

    boost::optional<std::pair<const_buffers_type, bool>> get(boost::beast::error_code& ec) {
      ec = {};
      if (remain_ == 0)
        return boost::none;
      auto want = static_cast<size_t>(std::min<uint64_t>(remain_, chunk_size));
      ssize_t n;
      do
        n = ::pread(file_->fd(), buffer_.get(), want, static_cast<off_t>(position_));
      while (n < 0 && errno == EINTR);
      if (n < 0) {
        ec.assign(errno, boost::beast::system_category());
        return boost::none;
      }
      if (n == 0) {  // the file shrank under us: the promised length cannot be sent
        ec = boost::asio::error::eof;
        return boost::none;
      }
      position_ += static_cast<uint64_t>(n);
      remain_ -= static_cast<uint64_t>(n);
      return std::make_pair(boost::asio::const_buffer(buffer_.get(), static_cast<size_t>(n)),
                            remain_ > 0);
    }

  private:
    static constexpr size_t chunk_size = 128 * 1024;
    std::shared_ptr<const open_file> file_;
    uint64_t position_;
    uint64_t remain_;
    std::unique_ptr<char[]> buffer_;
  };
};

}  // namespace gp::io::http
