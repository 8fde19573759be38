#pragma once
// The `sluice` command line (CLI11): common options, subcommands, exit codes.
// Exit codes: 0 success; 1 fatal runtime error; 2 usage or configuration error.
namespace sluice::cli {
int main(int argc, char** argv);
}
