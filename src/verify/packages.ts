/** The Debian packages policyc verify needs: in its own module, so that the help names them without loading verify. */
export const DEBIAN_PACKAGES = "m4 sendmail-cf sendmail-bin";
