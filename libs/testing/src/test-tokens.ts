/**
 * The ADMIN_TOKEN and SERVICE_TOKEN every test corner (and chaos stack) gives the services, and order's
 * ADMISSION_TOKEN_SECRET (a test signs tokens with it to forge an expired one).
 */
export const TEST_TOKENS = {
  ADMIN_TOKEN: 'test-admin-token-4f1c9e2a7b',
  SERVICE_TOKEN: 'test-service-token-8d3b6a0e5c',
  ADMISSION_TOKEN_SECRET: 'test-admission-secret-6b0d2f9e4a7c1e35',
};

/** Headers of a test acting as the operator (changing a sale) or as the order service (the reservation API). */
export const AS_ADMIN = { authorization: `Bearer ${TEST_TOKENS.ADMIN_TOKEN}` };
export const AS_ORDER_SERVICE = { authorization: `Bearer ${TEST_TOKENS.SERVICE_TOKEN}` };
