// The JavaScript surface of fdpass.h (fdpass_js.h), for the control socket.
#include "broker/fdpass_js.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "broker/fdpass.h"

namespace zviz::broker {

namespace {

class RecvWorker : public Napi::AsyncWorker {
 public:
  RecvWorker(Napi::Env env, int fd, size_t max, int timeout_ms)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), fd_(fd), max_(max),
        timeout_ms_(timeout_ms) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    struct pollfd p = {fd_, POLLIN, 0};
    int ready;
    do {
      ready = poll(&p, 1, timeout_ms_);
    } while (ready < 0 && errno == EINTR);
    if (ready == 0) {
      error_ = "timed out waiting for the request";
      return;
    }
    if (ready < 0) {
      error_ = std::string("poll: ") + std::strerror(errno);
      return;
    }
    data_.resize(max_);
    Received received = ReceiveWithFds(fd_, data_.data(), data_.size(), MSG_DONTWAIT);
    if (received.bytes < 0) {
      error_ = std::string("recvmsg: ") + std::strerror(received.error);
      return;
    }
    data_.resize(static_cast<size_t>(received.bytes));
    if (received.truncated || received.fds.size() > kMaxPassedFds) {
      error_ = "too many descriptors in the request";  // those received are closed with `received`
      return;
    }
    for (UniqueFd& fd : received.fds) {
      fds_.push_back(fd.release());
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (!error_.empty()) {
      deferred_.Reject(Napi::Error::New(env, error_).Value());
      return;
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("data", Napi::Buffer<char>::Copy(env, data_.data(), data_.size()));
    Napi::Array fds = Napi::Array::New(env, fds_.size());
    for (size_t i = 0; i < fds_.size(); ++i) fds.Set(static_cast<uint32_t>(i), fds_[i]);
    out.Set("fds", fds);
    deferred_.Resolve(out);
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  int fd_;
  size_t max_;
  int timeout_ms_;
  std::vector<char> data_;
  std::vector<int> fds_;
  std::string error_;
};

}  // namespace

Napi::Value SendWithFdsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsBuffer() || !info[2].IsArray()) {
    Napi::TypeError::New(env, "sendWithFds(fd, buffer, fds)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int sock = info[0].As<Napi::Number>().Int32Value();
  auto data = info[1].As<Napi::Buffer<char>>();
  Napi::Array list = info[2].As<Napi::Array>();
  if (list.Length() > kMaxPassedFds || data.Length() == 0) {
    Napi::RangeError::New(env, "between 1 byte and 16 descriptors").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::vector<int> fds;
  for (uint32_t i = 0; i < list.Length(); ++i) fds.push_back(list.Get(i).As<Napi::Number>().Int32Value());
  const ssize_t n = SendWithFds(sock, data.Data(), data.Length(), fds.data(), fds.size());
  if (n < 0) {
    Napi::Error::New(env, std::string("sendmsg: ") + std::strerror(errno)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(n));
}

Napi::Value RecvWithFdsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber()) {
    Napi::TypeError::New(env, "recvWithFds(fd, maxBytes, timeoutMs)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto* worker = new RecvWorker(env, info[0].As<Napi::Number>().Int32Value(),
                                static_cast<size_t>(info[1].As<Napi::Number>().Uint32Value()),
                                info[2].As<Napi::Number>().Int32Value());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace zviz::broker
