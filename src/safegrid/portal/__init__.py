"""The customer portal (HALL-6, HALL-10): customers sign in with their mobile number and an
SMS code, bind their own 户号 and see only those accounts."""
