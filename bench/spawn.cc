// sentinel-bench-spawn: runs one command and writes its wall time, CPU time and peak RSS as
// JSON. compare.py launches every timed tool through it because Linux charges a child's
// ru_maxrss with the memory of the process it was forked from (the high-water mark survives
// exec): measured straight from Python, nothing reads below the interpreter's ~30 MB. This
// helper is a few hundred KB, so the floor drops to about that.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>

int main(int argc, char** argv) {
  if (argc < 4 || std::strcmp(argv[2], "--") != 0) {
    std::fprintf(stderr, "usage: sentinel-bench-spawn OUT.json -- COMMAND [ARGS...]\n");
    return 2;
  }
  timespec start{};
  timespec end{};
  clock_gettime(CLOCK_MONOTONIC, &start);
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("sentinel-bench-spawn: fork");
    return 2;
  }
  if (pid == 0) {
    execvp(argv[3], argv + 3);
    std::perror("sentinel-bench-spawn: exec");
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  if (wait4(pid, &status, 0, &usage) < 0) {
    std::perror("sentinel-bench-spawn: wait4");
    return 2;
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  const double wall =
      static_cast<double>(end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
  const double user = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6;
  const double sys = usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  std::FILE* out = std::fopen(argv[1], "w");
  if (!out) {
    std::perror("sentinel-bench-spawn: open output");
    return 2;
  }
  std::fprintf(out,
               "{\"wall\": %.6f, \"user\": %.6f, \"sys\": %.6f, \"maxrss_kb\": %ld, \"rc\": %d}\n",
               wall, user, sys, usage.ru_maxrss, code);
  std::fclose(out);
  return code < 0 ? 128 - code : code;
}
