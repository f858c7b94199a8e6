#include "broker/cbpf.h"

#include <cstddef>
#include <cstring>

namespace zviz::broker {
namespace {

constexpr uint32_t kScratch = BPF_MEMWORDS;

uint32_t LoadWord(const struct seccomp_data& data, uint32_t offset) {
  uint32_t word;
  std::memcpy(&word, reinterpret_cast<const char*>(&data) + offset, sizeof(word));
  return word;
}

bool IsJump(uint16_t code) { return BPF_CLASS(code) == BPF_JMP; }

}  // namespace

std::string CheckSeccompProgram(const BpfProgram& program) {
  if (program.empty() || program.size() > BPF_MAXINSNS) {
    return "program length " + std::to_string(program.size()) + " outside 1.." + std::to_string(BPF_MAXINSNS);
  }
  for (size_t pc = 0; pc < program.size(); ++pc) {
    const struct sock_filter& insn = program[pc];
    const uint16_t code = insn.code;
    const std::string where = "instruction " + std::to_string(pc) + ": ";
    switch (code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (insn.k >= sizeof(struct seccomp_data) || (insn.k & 3) != 0) {
          return where + "load outside seccomp_data";
        }
        break;
      case BPF_LD | BPF_W | BPF_LEN:
      case BPF_LDX | BPF_W | BPF_LEN:
      case BPF_LD | BPF_IMM:
      case BPF_LDX | BPF_IMM:
      case BPF_MISC | BPF_TAX:
      case BPF_MISC | BPF_TXA:
      case BPF_RET | BPF_K:
      case BPF_RET | BPF_A:
      case BPF_ALU | BPF_NEG:
        break;
      case BPF_LD | BPF_MEM:
      case BPF_LDX | BPF_MEM:
      case BPF_ST:
      case BPF_STX:
        if (insn.k >= kScratch) {
          return where + "scratch memory index out of range";
        }
        break;
      case BPF_ALU | BPF_ADD | BPF_K:
      case BPF_ALU | BPF_ADD | BPF_X:
      case BPF_ALU | BPF_SUB | BPF_K:
      case BPF_ALU | BPF_SUB | BPF_X:
      case BPF_ALU | BPF_MUL | BPF_K:
      case BPF_ALU | BPF_MUL | BPF_X:
      case BPF_ALU | BPF_DIV | BPF_K:
      case BPF_ALU | BPF_DIV | BPF_X:
      case BPF_ALU | BPF_AND | BPF_K:
      case BPF_ALU | BPF_AND | BPF_X:
      case BPF_ALU | BPF_OR | BPF_K:
      case BPF_ALU | BPF_OR | BPF_X:
      case BPF_ALU | BPF_XOR | BPF_K:
      case BPF_ALU | BPF_XOR | BPF_X:
      case BPF_ALU | BPF_LSH | BPF_K:
      case BPF_ALU | BPF_LSH | BPF_X:
      case BPF_ALU | BPF_RSH | BPF_K:
      case BPF_ALU | BPF_RSH | BPF_X:
        if (code == (BPF_ALU | BPF_DIV | BPF_K) && insn.k == 0) {
          return where + "division by zero";
        }
        break;
      case BPF_JMP | BPF_JA:
        if (insn.k >= program.size() - pc - 1) {
          return where + "jump outside the program";
        }
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
      case BPF_JMP | BPF_JEQ | BPF_X:
      case BPF_JMP | BPF_JGE | BPF_K:
      case BPF_JMP | BPF_JGE | BPF_X:
      case BPF_JMP | BPF_JGT | BPF_K:
      case BPF_JMP | BPF_JGT | BPF_X:
      case BPF_JMP | BPF_JSET | BPF_K:
      case BPF_JMP | BPF_JSET | BPF_X:
        if (pc + 1 + insn.jt >= program.size() || pc + 1 + insn.jf >= program.size()) {
          return where + "jump outside the program";
        }
        break;
      default:
        return where + "opcode " + std::to_string(code) + " not allowed in seccomp programs";
    }
  }
  const uint16_t last = program.back().code;
  if (BPF_CLASS(last) != BPF_RET || IsJump(last)) {
    return "program does not end with a return";
  }
  return {};
}

uint32_t RunSeccompProgram(const BpfProgram& program, const struct seccomp_data& data, bool* beyond_call) {
  bool unused = false;
  bool& loaded_beyond = beyond_call != nullptr ? *beyond_call : unused;
  loaded_beyond = false;
  uint32_t a = 0;
  uint32_t x = 0;
  uint32_t mem[kScratch] = {};
  size_t pc = 0;
  // Forward-only jumps and a bounded length make this loop terminate.
  while (pc < program.size()) {
    const struct sock_filter& insn = program[pc++];
    switch (insn.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (insn.k >= offsetof(struct seccomp_data, instruction_pointer)) {
          loaded_beyond = true;  // the instruction pointer or an argument
        }
        a = LoadWord(data, insn.k);
        break;
      case BPF_LD | BPF_W | BPF_LEN:
        a = sizeof(struct seccomp_data);
        break;
      case BPF_LDX | BPF_W | BPF_LEN:
        x = sizeof(struct seccomp_data);
        break;
      case BPF_LD | BPF_IMM:
        a = insn.k;
        break;
      case BPF_LDX | BPF_IMM:
        x = insn.k;
        break;
      case BPF_LD | BPF_MEM:
        a = mem[insn.k];
        break;
      case BPF_LDX | BPF_MEM:
        x = mem[insn.k];
        break;
      case BPF_ST:
        mem[insn.k] = a;
        break;
      case BPF_STX:
        mem[insn.k] = x;
        break;
      case BPF_MISC | BPF_TAX:
        x = a;
        break;
      case BPF_MISC | BPF_TXA:
        a = x;
        break;
      case BPF_ALU | BPF_NEG:
        a = -a;
        break;
      case BPF_ALU | BPF_ADD | BPF_K: a += insn.k; break;
      case BPF_ALU | BPF_ADD | BPF_X: a += x; break;
      case BPF_ALU | BPF_SUB | BPF_K: a -= insn.k; break;
      case BPF_ALU | BPF_SUB | BPF_X: a -= x; break;
      case BPF_ALU | BPF_MUL | BPF_K: a *= insn.k; break;
      case BPF_ALU | BPF_MUL | BPF_X: a *= x; break;
      case BPF_ALU | BPF_DIV | BPF_K: a /= insn.k; break;
      case BPF_ALU | BPF_DIV | BPF_X:
        if (x == 0) {
          return 0;  // the kernel's interpreter returns 0 (SECCOMP_RET_KILL_THREAD)
        }
        a /= x;
        break;
      case BPF_ALU | BPF_AND | BPF_K: a &= insn.k; break;
      case BPF_ALU | BPF_AND | BPF_X: a &= x; break;
      case BPF_ALU | BPF_OR | BPF_K: a |= insn.k; break;
      case BPF_ALU | BPF_OR | BPF_X: a |= x; break;
      case BPF_ALU | BPF_XOR | BPF_K: a ^= insn.k; break;
      case BPF_ALU | BPF_XOR | BPF_X: a ^= x; break;
      case BPF_ALU | BPF_LSH | BPF_K: a = insn.k < 32 ? a << insn.k : 0; break;
      case BPF_ALU | BPF_LSH | BPF_X: a = x < 32 ? a << x : 0; break;
      case BPF_ALU | BPF_RSH | BPF_K: a = insn.k < 32 ? a >> insn.k : 0; break;
      case BPF_ALU | BPF_RSH | BPF_X: a = x < 32 ? a >> x : 0; break;
      case BPF_JMP | BPF_JA: pc += insn.k; break;
      case BPF_JMP | BPF_JEQ | BPF_K: pc += (a == insn.k) ? insn.jt : insn.jf; break;
      case BPF_JMP | BPF_JEQ | BPF_X: pc += (a == x) ? insn.jt : insn.jf; break;
      case BPF_JMP | BPF_JGE | BPF_K: pc += (a >= insn.k) ? insn.jt : insn.jf; break;
      case BPF_JMP | BPF_JGE | BPF_X: pc += (a >= x) ? insn.jt : insn.jf; break;
      case BPF_JMP | BPF_JGT | BPF_K: pc += (a > insn.k) ? insn.jt : insn.jf; break;
      case BPF_JMP | BPF_JGT | BPF_X: pc += (a > x) ? insn.jt : insn.jf; break;
      case BPF_JMP | BPF_JSET | BPF_K: pc += (a & insn.k) ? insn.jt : insn.jf; break;
      case BPF_JMP | BPF_JSET | BPF_X: pc += (a & x) ? insn.jt : insn.jf; break;
      case BPF_RET | BPF_K:
        return insn.k;
      case BPF_RET | BPF_A:
        return a;
      default:
        return 0;  // unreachable for checked programs
    }
  }
  return 0;
}

}  // namespace zviz::broker
