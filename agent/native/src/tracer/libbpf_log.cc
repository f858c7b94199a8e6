#include "tracer/libbpf_log.h"

#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sstream>
#include <vector>

namespace zviz::tracer {
namespace {

thread_local LibbpfCapture* current_capture = nullptr;
thread_local std::string* current_text = nullptr;

int Print(enum libbpf_print_level level, const char* format, va_list args) {
  if (current_text == nullptr) {
    if (level != LIBBPF_DEBUG && std::getenv("ZVIZ_LIBBPF_DEBUG") != nullptr) {
      return vfprintf(stderr, format, args);
    }
    return 0;
  }
  char buffer[1024];
  va_list copy;
  va_copy(copy, args);
  int n = vsnprintf(buffer, sizeof(buffer), format, copy);
  va_end(copy);
  if (n > 0) current_text->append(buffer, std::min<size_t>(static_cast<size_t>(n), sizeof(buffer) - 1));
  return n;
}

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// An instruction ("12: (85) call ...") or its source annotation ("; x = y").
bool IsListingLine(const std::string& line) {
  if (line.empty() || line[0] == ';') return true;
  size_t i = 0;
  while (i < line.size() && line[i] >= '0' && line[i] <= '9') i++;
  return i > 0 && i < line.size() && line[i] == ':';
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  size_t start = 0;
  while (start < s.size() && (s[start] == ' ' || s[start] == '\t')) start++;
  return s.substr(start);
}

}  // namespace

LibbpfCapture::LibbpfCapture() : previous_(current_capture) {
  current_capture = this;
  current_text = &text_;
}

LibbpfCapture::~LibbpfCapture() {
  current_capture = previous_;
  current_text = previous_ != nullptr ? &previous_->text_ : nullptr;
}

std::string LibbpfCapture::FirstUsefulLine() const {
  std::vector<std::string> lines;
  std::istringstream in(text_);
  for (std::string line; std::getline(in, line);) lines.push_back(Trim(line));

  for (const std::string& line : lines) {
    if (line.find("failed to resolve CO-RE relocation") != std::string::npos) return line;
  }
  // The verifier log sits between BEGIN and END markers; its verdict is the
  // last line that is neither an instruction nor a statistics footer.
  size_t end = lines.size();
  for (size_t i = 0; i < lines.size(); i++) {
    if (lines[i].find("-- END PROG LOAD LOG --") != std::string::npos) {
      end = i;
      break;
    }
  }
  for (size_t i = end; i-- > 0;) {
    const std::string& line = lines[i];
    if (line.find("-- BEGIN PROG LOAD LOG --") != std::string::npos) break;
    if (IsListingLine(line) || StartsWith(line, "processed ") || StartsWith(line, "verification time") ||
        StartsWith(line, "stack depth") || StartsWith(line, "mark_precise")) {
      continue;
    }
    return line;
  }
  for (const std::string& line : lines) {
    if (line.find("libbpf: ") != std::string::npos && !line.empty()) return line;
  }
  return lines.empty() ? std::string() : lines.front();
}

void InstallLibbpfPrint() {
  static std::once_flag once;
  std::call_once(once, [] { libbpf_set_print(Print); });
}

}  // namespace zviz::tracer
