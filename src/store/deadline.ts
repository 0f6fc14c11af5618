export { fault, isPromiseLike, withDeadline } from '../service/deadline'
