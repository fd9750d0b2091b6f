import { say } from '../log/output.ts';
import { type DoctorOptions, gatherFacts } from './doctor-facts.ts';
import { type Finding, judgeDeployment, type Level } from './doctor-findings.ts';

const MARK: Record<Level, string> = { ok: '✔', warning: '!', problem: '✖' };

/** `policypay doctor`: checks this deployment's configuration and database, and says what is wrong. */
export async function runDoctor(options: DoctorOptions & { json: boolean }): Promise<Finding[]> {
  const findings = judgeDeployment(await gatherFacts(options));
  if (options.json) {
    say(JSON.stringify({ findings }, null, 2));
  } else {
    const width = Math.max(...findings.map((f) => f.topic.length));
    for (const finding of findings) {
      say(`${MARK[finding.level]} ${finding.topic.padEnd(width)}  ${finding.message}`);
    }
    const problems = findings.filter((f) => f.level === 'problem').length;
    const warnings = findings.filter((f) => f.level === 'warning').length;
    say(
      problems + warnings === 0
        ? '\nno problems found'
        : `\n${problems} problem${problems === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`,
    );
  }
  return findings;
}
