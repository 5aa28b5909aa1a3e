// What each role may do, as the API's role table says (urrbmi/access/roles.py). The server enforces
// it; the UI only hides what a role cannot use. If the API sends the user's permissions, they win.
const ALL = [
  'region.read', 'region.write', 'resident.read', 'resident.full_id', 'resident.write', 'identity.write',
  'campaign.read', 'campaign.manage', 'roster.read', 'payment.record', 'payment.backdate', 'payment.import',
  'payment.cancel', 'payment.cancel_handed_over', 'payment.accept', 'audit.read', 'list.upload', 'funding.read',
  'user.manage', 'handover.submit', 'handover.confirm', 'refund.approve', 'refund.pay', 'school.manage',
  'visit.record', 'activation.import', 'contact.read',
];
export const ROLE_PERMISSIONS = {
  bureau_admin: ALL,
  bureau_officer: [
    'region.read', 'resident.read', 'resident.full_id', 'resident.write', 'identity.write', 'campaign.read',
    'campaign.manage', 'roster.read', 'payment.record', 'payment.backdate', 'payment.import', 'payment.cancel',
    'payment.accept', 'payment.cancel_handed_over', 'list.upload', 'funding.read', 'handover.submit',
    'handover.confirm', 'refund.approve', 'school.manage', 'visit.record', 'activation.import',
  ],
  township_officer: [
    'region.read', 'resident.read', 'resident.write', 'identity.write', 'campaign.read', 'payment.record',
    'payment.backdate', 'handover.submit', 'handover.confirm', 'school.manage', 'visit.record',
    'contact.read',
  ],
  village_agent: [
    'region.read', 'resident.read', 'payment.record', 'handover.submit', 'visit.record', 'contact.read',
  ],
  dept_uploader: [
    'list.upload',
  ],
  auditor: [
    'region.read', 'resident.read', 'campaign.read', 'audit.read',
  ],
  finance: [
    'region.read', 'campaign.read', 'funding.read', 'handover.confirm', 'refund.pay',
  ],
};

export function can(user, permission) {
  const perms = (user && user.permissions) || ROLE_PERMISSIONS[user && user.role] || [];
  return perms.includes(permission);
}
