// Empty BPF programs on chosen raw tracepoints: the benchmark's floor.
#ifndef ZVIZ_TRACER_FLOOR_H_
#define ZVIZ_TRACER_FLOOR_H_

#include <string>
#include <vector>

struct floor;
struct bpf_link;

namespace zviz::tracer {

class Floor {
 public:
  Floor() = default;
  ~Floor();
  Floor(const Floor&) = delete;
  Floor& operator=(const Floor&) = delete;

  bool Attach(const std::vector<std::string>& tracepoints, std::string* error);
  void Detach();

 private:
  ::floor* skel_ = nullptr;
  std::vector<bpf_link*> links_;
};

}  // namespace zviz::tracer

#endif  // ZVIZ_TRACER_FLOOR_H_
