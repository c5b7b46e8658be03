export { prng } from '../../support/prng';
