/** Exit codes shared by every telem command. */
export const EXIT_OK = 0;
/** The input was read and is wrong (policy errors, rejected records). */
export const EXIT_INVALID = 1;
/** The command line was wrong or a named file could not be read. */
export const EXIT_USAGE = 2;
