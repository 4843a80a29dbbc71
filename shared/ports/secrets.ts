/**
 * Reads a secret by name (Secrets Manager in AWS: `shared/aws/secrets.adapter.ts`). The GitHub webhook's
 * secret, the approval link signing keys and the chat webhook URL are read through it. Rejects when the
 * secret is missing, empty or unreadable.
 */
export interface SecretSource {
  get(name: string): Promise<string>;
}
