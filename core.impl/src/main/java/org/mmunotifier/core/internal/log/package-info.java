/**
 * The operator's log: every LogService entry (the core's and the drivers' {@code System.Logger}
 * records bridged from {@code java.util.logging}, SCR's, FileInstall's) into {@code mmunotifier.log}
 * with its stack trace, one line on the console per problem, {@code log:tail} and
 * {@code log:level} in the shell. Active in the launcher only: under Pax Exam the test JVM's
 * logging is left alone.
 */
package org.mmunotifier.core.internal.log;
