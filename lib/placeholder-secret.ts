import { CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

export interface PlaceholderSecretProps {
  /** What the secret holds and what happens until an operator sets it, shown in the console. */
  readonly description: string;
  /** Where the real value comes from, written into the placeholder for whoever reads it. */
  readonly replaceWith: string;
  /** Why the secret is not rotated by Secrets Manager: the reason given to cdk-nag's AwsSolutions-SMG4. */
  readonly unrotated: string;
  /**
   * The stack output giving the secret's ARN, with the command that puts the value in: its id,
   * what the secret is (`the Codat API key for the reconciler`) and what the value looks like.
   */
  readonly output: { readonly id: string; readonly what: string; readonly value: string };
}

/**
 * A secret whose value an operator puts in by hand, created holding a JSON placeholder
 * (`{"replaceWith": ..., "placeholder": <generated>}`) that no real value looks like, so that
 * whoever reads it before it is set fails clearly; and a stack output that tells how to set it.
 */
export function placeholderSecret(scope: Construct, id: string, props: PlaceholderSecretProps): Secret {
  const secret = new Secret(scope, id, {
    description: props.description,
    generateSecretString: {
      secretStringTemplate: JSON.stringify({ replaceWith: props.replaceWith }),
      generateStringKey: 'placeholder',
    },
  });
  Validations.of(secret).acknowledge({ id: 'AwsSolutions-SMG4', reason: props.unrotated });
  new CfnOutput(Stack.of(scope), props.output.id, {
    value: secret.secretArn,
    description:
      `Set ${props.output.what} with: aws secretsmanager put-secret-value ` +
      `--secret-id <this ARN> --secret-string ${props.output.value}`,
  });
  return secret;
}
