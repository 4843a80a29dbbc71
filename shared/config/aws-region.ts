/**
 * An AWS region code such as eu-west-1. Its own module so that the step schemas can use it without
 * building the whole configuration schema at a function's cold start.
 */
export const AWS_REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
