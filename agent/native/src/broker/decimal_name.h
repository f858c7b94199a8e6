// Descriptor and task numbers as the names /proc gives them ("23",
// "4711/cwd"), built without snprintf: an emulated open names a descriptor
// at least once (its reopen through /proc/thread-self/fd), and formatting
// it with snprintf cost about a tenth of a microsecond of the open's few
// (docs/benchmarks.md, "Emulated opens").
#pragma once

#include <cstddef>
#include <cstring>

namespace zviz::broker {

class DecimalName {
 public:
  /** `number` in decimal, then `suffix` when given ("/cwd"); a suffix beyond 40 characters is cut. */
  explicit DecimalName(long number, const char* suffix = nullptr) {
    char digits[24];
    size_t n = 0;
    unsigned long value = number < 0 ? 0UL - static_cast<unsigned long>(number) : static_cast<unsigned long>(number);
    do {
      digits[n++] = static_cast<char>('0' + value % 10);
      value /= 10;
    } while (value != 0);
    size_t at = 0;
    if (number < 0) {
      text_[at++] = '-';
    }
    while (n > 0) {
      text_[at++] = digits[--n];
    }
    if (suffix != nullptr) {
      const size_t room = sizeof(text_) - 1 - at;
      const size_t len = std::strlen(suffix);
      const size_t take = len < room ? len : room;
      std::memcpy(text_ + at, suffix, take);
      at += take;
    }
    text_[at] = '\0';
  }

  const char* c_str() const { return text_; }

 private:
  char text_[64];
};

}  // namespace zviz::broker
