// libbpf reports load and attach failures through a global print callback.
// This keeps what it says on the calling thread while a capture is active,
// so a failure can be explained with the verifier's own words.
#ifndef ZVIZ_TRACER_LIBBPF_LOG_H_
#define ZVIZ_TRACER_LIBBPF_LOG_H_

#include <string>

namespace zviz::tracer {

// Collects libbpf's messages on this thread for the capture's lifetime.
class LibbpfCapture {
 public:
  LibbpfCapture();
  ~LibbpfCapture();
  LibbpfCapture(const LibbpfCapture&) = delete;
  LibbpfCapture& operator=(const LibbpfCapture&) = delete;

  const std::string& text() const { return text_; }
  // The line of the captured log that says why a program was refused: a CO-RE
  // relocation failure, or the verifier's last complaint before it gave up.
  std::string FirstUsefulLine() const;

 private:
  std::string text_;
  LibbpfCapture* previous_;
};

// Installs the print callback once; messages outside a capture are dropped
// unless ZVIZ_LIBBPF_DEBUG is set in the environment.
void InstallLibbpfPrint();

}  // namespace zviz::tracer

#endif  // ZVIZ_TRACER_LIBBPF_LOG_H_
