/**
 * The compliance controls a drill can evidence (`controls:` in a drill file). Ids are what
 * auditors and GRC tools write; the text is a short reminder of the requirement, not its wording.
 */
export interface Control {
  framework: string;
  /** The requirement's number and name in its framework. */
  title: string;
  /** What a drill shows for it, in short. */
  description: string;
}

export const CONTROLS = {
  "ISO27001-A.8.13": {
    framework: "ISO 27001:2022",
    title: "A.8.13 Information backup",
    description: "backups kept and tested per policy",
  },
  "ISO27001-A.5.30": {
    framework: "ISO 27001:2022",
    title: "A.5.30 ICT readiness for business continuity",
    description: "continuity planned, implemented and tested",
  },
  "ISO27001-A.8.14": {
    framework: "ISO 27001:2022",
    title: "A.8.14 Redundancy of information processing facilities",
    description: "redundancy shown to work: failover",
  },
  "SOC2-A1.2": {
    framework: "SOC 2",
    title: "A1.2 Backup and recovery infrastructure",
    description: "backup processes and recovery infrastructure in place",
  },
  "SOC2-A1.3": {
    framework: "SOC 2",
    title: "A1.3 Recovery plan testing",
    description: "recovery plan procedures tested",
  },
  "DORA-11": {
    framework: "DORA",
    title: "Art. 11(6) ICT business continuity testing",
    description: "ICT business continuity plans tested at least yearly",
  },
  "DORA-12": {
    framework: "DORA",
    title: "Art. 12(2)-(3) Backup restoration",
    description: "restoration from backups tested, on segregated systems",
  },
  "HIPAA-164.308a7iiB": {
    framework: "HIPAA",
    title: "§164.308(a)(7)(ii)(B) Disaster recovery plan",
    description: "procedures to restore lost data",
  },
  "HIPAA-164.308a7iiD": {
    framework: "HIPAA",
    title: "§164.308(a)(7)(ii)(D) Testing and revision procedures",
    description: "contingency plans tested and revised",
  },
  "NIST-CP-4": {
    framework: "NIST SP 800-53",
    title: "CP-4 Contingency plan testing",
    description: "the contingency plan tested for effectiveness and readiness",
  },
  "NIST-CP-9.1": {
    framework: "NIST SP 800-53",
    title: "CP-9(1) Backup testing for reliability and integrity",
    description: "backups restored and checked for reliability and integrity",
  },
  "NIST-CP-10": {
    framework: "NIST SP 800-53",
    title: "CP-10 System recovery and reconstitution",
    description: "systems recovered to a known state",
  },
} as const satisfies Record<string, Control>;

export type ControlId = keyof typeof CONTROLS;

export const CONTROL_IDS = Object.keys(CONTROLS) as [ControlId, ...ControlId[]];

export const isControlId = (id: string): id is ControlId => Object.hasOwn(CONTROLS, id);
