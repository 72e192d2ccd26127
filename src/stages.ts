/**
 * The stages one account can hold side by side, each its own stack. Plain values, apart from the
 * stack's settings in lib/stage.ts, so that a tool which only needs a stack's name (verify-deploy)
 * does not load aws-cdk-lib.
 */
export const STAGES = ['dev', 'prod'] as const;
export type Stage = (typeof STAGES)[number];

export function isStage(value: unknown): value is Stage {
  return typeof value === 'string' && (STAGES as readonly string[]).includes(value);
}

/** The stack of a stage, `CodatConnections-<stage>`: bin/app.ts deploys it, verify-deploy reads it. */
export function stackNameOf(stage: Stage): string {
  return `CodatConnections-${stage}`;
}
