#include "cli/cli.h"

int main(int argc, char** argv) { return sluice::cli::main(argc, argv); }
